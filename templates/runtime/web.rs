//! The HTTP side of the process: liveness, readiness tied to gRPC health, and Prometheus
//! metrics, plus any routes of your own that share state with the gRPC handlers.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::health::Health;
use super::metrics::Metrics;

/// `/livez`, `/readyz` and `/metrics`, merged with `extra` (your routes, with their state).
pub fn router(health: Health, extra: Router) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readiness))
        .route("/metrics", get(metrics))
        .with_state(health)
        .merge(extra)
}

async fn readiness(State(health): State<Health>) -> impl IntoResponse {
    if health.is_ready() {
        return (StatusCode::OK, "ready\n".to_owned());
    }
    let reason = if health.is_draining() {
        "shutting down\n".to_owned()
    } else {
        format!("not serving: {}\n", health.not_serving().join(", "))
    };
    (StatusCode::SERVICE_UNAVAILABLE, reason)
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        Metrics::global().render(),
    )
}

//! The server builder: tonic plus health, reflection, the call middleware, an HTTP listener
//! in the same process, and graceful shutdown on SIGTERM or Ctrl-C.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;

use super::config::ServerConfig;
use super::health::Health;
use super::layer::{LayerState, RpcLayer};
use super::{web, BoxError};

/// Collects services, then [`Server::serve`]s them until SIGTERM or Ctrl-C.
///
/// ```ignore
/// Server::new(ServerConfig::from_env_and_args())
///     .add_service(UsersServiceServer::new(UsersHandler::default()))
///     .serve()
///     .await
/// ```
pub struct Server {
    config: ServerConfig,
    routes: RoutesBuilder,
    services: Vec<&'static str>,
    http_routes: Router,
    health: Health,
}

impl Server {
    /// A server with the health and reflection services already registered.
    pub fn new(config: ServerConfig) -> Self {
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        // Reflection lets grpcurl, grpcui and Postman discover the contract without its files.
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        match (reflection().build_v1(), reflection().build_v1alpha()) {
            (Ok(v1), Ok(v1alpha)) => {
                routes.add_service(v1);
                routes.add_service(v1alpha);
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "reflection is off: the embedded contract did not load")
            }
        }
        Server {
            config,
            routes,
            services: Vec::new(),
            http_routes: Router::new(),
            health: Health::new(reporter),
        }
    }

    /// Serves `service` (a generated `...Server::new(handler)`); its health status becomes
    /// SERVING when the server starts.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.services.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Adds HTTP routes of your own to the HTTP listener; give them the same state (an `Arc`)
    /// as your handlers to share it.
    pub fn http_routes(mut self, router: Router) -> Self {
        self.http_routes = self.http_routes.merge(router);
        self
    }

    /// The health handle, to flip a service to NOT_SERVING from a handler or a background task.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Binds both listeners and starts serving in the background.
    pub async fn start(self) -> Result<RunningServer, BoxError> {
        let config = self.config;
        let grpc_listener = TcpListener::bind(config.grpc_addr)
            .await
            .map_err(|error| format!("cannot listen for gRPC on {}: {error}", config.grpc_addr))?;
        let grpc_addr = grpc_listener.local_addr()?;
        let http_listener = match config.http_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|error| format!("cannot listen for HTTP on {addr}: {error}"))?,
            ),
            None => None,
        };
        let http_addr = http_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;

        for service in &self.services {
            self.health.set_serving(service, true).await;
        }

        let layer_state = Arc::new(LayerState {
            max_deadline: config.max_deadline,
            forced_stop: Default::default(),
        });
        let (stop_grpc, grpc_stopping) = watch::channel(false);
        let incoming = TcpIncoming::from(grpc_listener).with_nodelay(Some(true));
        let grpc = tonic::transport::Server::builder()
            .max_concurrent_streams(config.max_concurrent_streams)
            .http2_keepalive_interval(config.http2_keepalive)
            .layer(RpcLayer::new(layer_state.clone()))
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(incoming, changed(grpc_stopping));
        let grpc_task = tokio::spawn(grpc);

        let (stop_http, http_stopping) = watch::channel(false);
        let http_task = http_listener.map(|listener| {
            let router = web::router(self.health.clone(), self.http_routes);
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(changed(http_stopping))
                    .await
            })
        });

        tracing::info!(
            grpc = %grpc_addr,
            http = %http_addr.map_or_else(|| "off".to_owned(), |addr| addr.to_string()),
            services = ?self.services,
            "serving"
        );
        Ok(RunningServer {
            grpc_addr,
            http_addr,
            health: self.health,
            grace: config.shutdown_grace,
            layer_state,
            stop_grpc,
            stop_http,
            grpc_task,
            http_task,
        })
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn serve(self) -> Result<(), BoxError> {
        let running = self.start().await?;
        let signal = shutdown_signal().await?;
        tracing::info!(signal, "shutdown requested");
        running.shutdown().await?;
        Ok(())
    }
}

/// A started server: its bound addresses, and the way to stop it.
pub struct RunningServer {
    grpc_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    health: Health,
    grace: Duration,
    layer_state: Arc<LayerState>,
    stop_grpc: watch::Sender<bool>,
    stop_http: watch::Sender<bool>,
    grpc_task: JoinHandle<Result<(), tonic::transport::Error>>,
    http_task: Option<JoinHandle<std::io::Result<()>>>,
}

/// How a shutdown went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Every in-flight call finished within the grace period.
    Drained,
    /// The grace period ran out; calls still running were ended with UNAVAILABLE.
    Forced,
}

impl RunningServer {
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Stops gracefully: readiness and health turn NOT_SERVING, new connections are refused,
    /// in-flight calls and streams get the grace period to finish, then the rest are ended.
    pub async fn shutdown(mut self) -> Result<Shutdown, BoxError> {
        self.health.start_draining().await;
        let _ = self.stop_grpc.send(true);
        let outcome = match tokio::time::timeout(self.grace, &mut self.grpc_task).await {
            Ok(joined) => {
                joined??;
                Shutdown::Drained
            }
            Err(_elapsed) => {
                tracing::warn!(grace = ?self.grace, "grace period over; ending the calls still running");
                self.layer_state.forced_stop.store(true, Ordering::Relaxed);
                // Streams end with UNAVAILABLE at their next message; give them a moment to
                // flush, then stop waiting for connections that stay idle.
                if tokio::time::timeout(Duration::from_secs(1), &mut self.grpc_task)
                    .await
                    .is_err()
                {
                    self.grpc_task.abort();
                }
                Shutdown::Forced
            }
        };
        let _ = self.stop_http.send(true);
        if let Some(mut task) = self.http_task.take() {
            if tokio::time::timeout(Duration::from_secs(1), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        tracing::info!(?outcome, "stopped");
        Ok(outcome)
    }
}

async fn changed(mut receiver: watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = receiver.wait_for(|stop| *stop).await;
}

/// Waits for SIGTERM (orchestrators) or Ctrl-C (people) and says which came.
pub async fn shutdown_signal() -> Result<&'static str, BoxError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| "Ctrl-C").map_err(Into::into),
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("Ctrl-C")
    }
}

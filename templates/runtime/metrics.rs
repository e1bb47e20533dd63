//! Prometheus metrics per RPC, for the server and the clients of one process, named as in the
//! widespread go-grpc-prometheus convention so existing dashboards and alerts apply.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use tonic::Code;

/// The process-wide metrics; the HTTP listener serves them at `/metrics`.
pub struct Metrics {
    registry: Registry,
    server_started: IntCounterVec,
    server_handled: IntCounterVec,
    server_latency: HistogramVec,
    server_in_flight: IntGauge,
    client_handled: IntCounterVec,
    client_attempts: IntCounterVec,
    client_latency: HistogramVec,
    client_breaker_rejected: IntCounterVec,
    server_methods: RwLock<HashMap<String, Arc<MethodMetrics>>>,
}

const UNKNOWN: &str = "/unknown/unknown";

/// One RPC's server metrics, resolved once so that a call costs atomic increments only.
pub struct MethodMetrics {
    service: String,
    method: String,
    started: IntCounter,
    latency: Histogram,
    in_flight: IntGauge,
    handled_vec: IntCounterVec,
    /// By status code, created on first use so that /metrics lists only codes that happened.
    handled: [OnceLock<IntCounter>; 17],
}

impl MethodMetrics {
    /// Marks a call's arrival; pair it with [`MethodMetrics::finished`].
    pub fn started(&self) {
        self.started.inc();
        self.in_flight.inc();
    }

    pub fn finished(&self, code: Code, elapsed: Duration) {
        self.in_flight.dec();
        let slot = (code as usize).min(16);
        self.handled[slot]
            .get_or_init(|| {
                self.handled_vec
                    .with_label_values(&[&self.service, &self.method, code_name(code)])
            })
            .inc();
        self.latency.observe(elapsed.as_secs_f64());
    }
}

/// Latency buckets in seconds, finer than Prometheus' defaults at the low end where most
/// in-cluster RPCs land.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

impl Metrics {
    /// The one instance of this process, registered on first use.
    pub fn global() -> &'static Metrics {
        static METRICS: OnceLock<Metrics> = OnceLock::new();
        METRICS.get_or_init(Metrics::new)
    }

    fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|error| unreachable!("static metric {name}: {error}"));
            registry
                .register(Box::new(metric.clone()))
                .unwrap_or_else(|error| unreachable!("metric {name} registered twice: {error}"));
            metric
        };
        let histogram = |name: &str, help: &str| {
            let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
            let metric = HistogramVec::new(opts, &["grpc_service", "grpc_method"])
                .unwrap_or_else(|error| unreachable!("static metric {name}: {error}"));
            registry
                .register(Box::new(metric.clone()))
                .unwrap_or_else(|error| unreachable!("metric {name} registered twice: {error}"));
            metric
        };
        let rpc = &["grpc_service", "grpc_method"];
        let rpc_code = &["grpc_service", "grpc_method", "grpc_code"];
        let server_in_flight =
            IntGauge::new("grpc_server_in_flight", "Calls the server is handling now.")
                .unwrap_or_else(|error| unreachable!("static metric: {error}"));
        registry
            .register(Box::new(server_in_flight.clone()))
            .unwrap_or_else(|error| unreachable!("metric registered twice: {error}"));
        Metrics {
            server_started: counter("grpc_server_started_total", "Calls started on the server.", rpc),
            server_handled: counter(
                "grpc_server_handled_total",
                "Calls completed on the server, by status code.",
                rpc_code,
            ),
            server_latency: histogram(
                "grpc_server_handling_seconds",
                "Time from a call's arrival to its final status, streams included.",
            ),
            server_in_flight,
            client_handled: counter(
                "grpc_client_handled_total",
                "Calls completed by generated clients, by final status code.",
                rpc_code,
            ),
            client_attempts: counter(
                "grpc_client_attempts_total",
                "Attempts sent by generated clients, retries included.",
                rpc,
            ),
            client_latency: histogram(
                "grpc_client_handling_seconds",
                "Time generated clients waited for a call, retries included.",
            ),
            client_breaker_rejected: counter(
                "grpc_client_circuit_open_total",
                "Calls failed fast because the target's circuit breaker was open.",
                &["target"],
            ),
            registry,
            server_methods: RwLock::default(),
        }
    }

    /// The server metrics of the RPC at `path`, looked up once per call. Paths the contract
    /// does not know are counted together, so random paths cannot blow up the series count.
    pub fn server_method(&self, path: &str) -> Arc<MethodMetrics> {
        if let Some(found) = self
            .server_methods
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(path)
        {
            return found.clone();
        }
        let known = path.starts_with("/grpc.") || super::policy::contract_rpc(path).is_some();
        let rpc = if known {
            RpcName::from_path(path)
        } else {
            RpcName {
                service: "unknown",
                method: "unknown",
            }
        };
        let labels = [rpc.service, rpc.method];
        let method = Arc::new(MethodMetrics {
            service: rpc.service.to_owned(),
            method: rpc.method.to_owned(),
            started: self.server_started.with_label_values(&labels),
            latency: self.server_latency.with_label_values(&labels),
            in_flight: self.server_in_flight.clone(),
            handled_vec: self.server_handled.clone(),
            handled: Default::default(),
        });
        let mut methods = self
            .server_methods
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !known {
            return methods
                .entry(UNKNOWN.to_owned())
                .or_insert(method)
                .clone();
        }
        methods.entry(path.to_owned()).or_insert(method).clone()
    }

    pub fn client_attempt(&self, rpc: &RpcName<'_>) {
        self.client_attempts
            .with_label_values(&[rpc.service, rpc.method])
            .inc();
    }

    pub fn client_finished(&self, rpc: &RpcName<'_>, code: Code, elapsed: Duration) {
        self.client_handled
            .with_label_values(&[rpc.service, rpc.method, code_name(code)])
            .inc();
        self.client_latency
            .with_label_values(&[rpc.service, rpc.method])
            .observe(elapsed.as_secs_f64());
    }

    pub fn client_breaker_rejected(&self, target: &str) {
        self.client_breaker_rejected
            .with_label_values(&[target])
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .unwrap_or_else(|error| unreachable!("text encoding into memory: {error}"));
        String::from_utf8(buffer).unwrap_or_else(|error| unreachable!("text encoder: {error}"))
    }

    /// The registry, to register metrics of your own next to these.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// An RPC's labels, split from its path `/package.Service/Method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcName<'a> {
    pub service: &'a str,
    pub method: &'a str,
}

impl<'a> RpcName<'a> {
    pub fn from_path(path: &'a str) -> Self {
        let trimmed = path.strip_prefix('/').unwrap_or(path);
        match trimmed.split_once('/') {
            Some((service, method)) => RpcName { service, method },
            None => RpcName {
                service: trimmed,
                method: "",
            },
        }
    }
}

/// The status code's canonical name, as in the gRPC spec and other languages' metrics.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The inverse of [`code_name`], for configuration files.
pub fn code_from_name(name: &str) -> Option<Code> {
    (0..=16)
        .map(Code::from_i32)
        .find(|code| code_name(*code).eq_ignore_ascii_case(name))
}

//! Serving status per service, published both through the standard gRPC health service and
//! through HTTP readiness, so that a mesh, a load balancer and Kubernetes all see the same thing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

/// A cheap, cloneable handle: give it to handlers or HTTP routes that decide readiness, for
/// instance when a database connection drops.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    statuses: Arc<RwLock<BTreeMap<String, bool>>>,
    draining: Arc<AtomicBool>,
}

impl Health {
    pub(crate) fn new(reporter: HealthReporter) -> Self {
        Health {
            reporter,
            statuses: Arc::default(),
            draining: Arc::default(),
        }
    }

    /// Marks `service` (its full name, `package.Service`) as serving or not.
    pub async fn set_serving(&self, service: &str, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.statuses
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(service.to_owned(), serving);
        self.reporter.set_service_status(service, status).await;
    }

    /// Whether the process should get traffic: not shutting down, and every service serving.
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Acquire) && self.not_serving().is_empty()
    }

    /// The services that are registered but not serving, sorted by name.
    pub fn not_serving(&self) -> Vec<String> {
        self.statuses
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter(|(_, serving)| !**serving)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Every registered service and whether it is serving, sorted by name.
    pub fn statuses(&self) -> Vec<(String, bool)> {
        self.statuses
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(name, serving)| (name.clone(), *serving))
            .collect()
    }

    /// Shutdown has begun: every service, and the server as a whole (""), stops serving, so
    /// that health checkers route new calls elsewhere while in-flight ones finish.
    pub async fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
        let names: Vec<String> = self.statuses().into_iter().map(|(name, _)| name).collect();
        for name in names {
            self.set_serving(&name, false).await;
        }
        self.reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}

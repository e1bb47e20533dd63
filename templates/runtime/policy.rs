//! Which deadline and retries apply to an RPC: the contract says whether it is idempotent
//! (`option idempotency_level`), `protogen.toml`'s `[client]` table sets the numbers and may
//! override both per RPC. Nothing here is hard-coded per contract.
//!
//! ```toml
//! [client]
//! deadline = "5s"                  # every call, unless overridden
//! [client.retry]                   # only for idempotent RPCs
//! max_attempts = 3
//! initial_backoff = "50ms"
//! max_backoff = "1s"
//! multiplier = 2.0
//! codes = ["UNAVAILABLE"]
//! [client.breaker]
//! failures = 5                     # consecutive; 0 turns the breaker off
//! cooldown = "5s"
//! [client.rpc."users.v1.UsersService/FindOne"]
//! deadline = "500ms"
//! idempotent = true                # retry even if the contract does not say so
//! max_attempts = 5
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use prost::Message;
use serde::Deserialize;

use super::breaker::BreakerConfig;
use super::config::parse_duration;
use super::metrics::code_from_name;
use super::retry::RetryPolicy;

/// The client side of `protogen.toml`, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSettings {
    /// The deadline of every call without an override; `None` means calls may wait forever,
    /// which the article rightly calls the start of a system-wide outage.
    pub deadline: Option<Duration>,
    pub retry: RetryPolicy,
    pub breaker: BreakerConfig,
    /// Overrides by RPC, keyed `package.Service/Method`.
    pub rpcs: BTreeMap<String, RpcOverride>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RpcOverride {
    pub deadline: Option<Duration>,
    pub idempotent: Option<bool>,
    pub max_attempts: Option<u32>,
}

/// What applies to one call of one RPC.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcPolicy {
    pub deadline: Option<Duration>,
    /// Retries are allowed at all: the contract or `protogen.toml` says a repeat is harmless.
    pub idempotent: bool,
    pub retry: RetryPolicy,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            deadline: Some(Duration::from_secs(10)),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            rpcs: BTreeMap::new(),
        }
    }
}

impl ClientSettings {
    /// The settings embedded from this workspace's `protogen.toml`, parsed once.
    pub fn embedded() -> Result<&'static ClientSettings, String> {
        static SETTINGS: OnceLock<Result<ClientSettings, String>> = OnceLock::new();
        SETTINGS
            .get_or_init(|| ClientSettings::from_protogen_toml(super::PROTOGEN_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads the `[client]` table of a `protogen.toml`; other tables belong to other tools.
    /// RPC names are checked against the contract, so a typo fails loudly instead of silently
    /// configuring nothing.
    pub fn from_protogen_toml(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            client: Option<RawClient>,
        }
        let file: File =
            toml::from_str(text).map_err(|error| format!("protogen.toml: {error}"))?;
        let Some(raw) = file.client else {
            return Ok(ClientSettings::default());
        };
        let defaults = ClientSettings::default();
        let duration = |key: &str, value: Option<String>, default: Option<Duration>| {
            value.map_or(Ok(default), |text| {
                if text == "off" {
                    return Ok(None);
                }
                parse_duration(&text)
                    .map(Some)
                    .map_err(|error| format!("protogen.toml: [client] {key}: {error}"))
            })
        };
        let required = |key: &str, value: Option<String>, default: Duration| {
            duration(key, value, Some(default)).and_then(|parsed| {
                parsed.ok_or_else(|| format!("protogen.toml: [client] {key} cannot be `off`"))
            })
        };
        let raw_retry = raw.retry.unwrap_or_default();
        let retry = RetryPolicy {
            max_attempts: raw_retry.max_attempts.unwrap_or(defaults.retry.max_attempts).max(1),
            initial_backoff: required(
                "retry.initial_backoff",
                raw_retry.initial_backoff,
                defaults.retry.initial_backoff,
            )?,
            max_backoff: required(
                "retry.max_backoff",
                raw_retry.max_backoff,
                defaults.retry.max_backoff,
            )?,
            multiplier: raw_retry.multiplier.unwrap_or(defaults.retry.multiplier),
            codes: match raw_retry.codes {
                None => defaults.retry.codes,
                Some(names) => names
                    .iter()
                    .map(|name| {
                        code_from_name(name).ok_or_else(|| {
                            format!(
                                "protogen.toml: [client.retry] codes: `{name}` is not a gRPC status code (e.g. UNAVAILABLE)"
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
        };
        let raw_breaker = raw.breaker.unwrap_or_default();
        let breaker = BreakerConfig {
            failures: raw_breaker.failures.unwrap_or(defaults.breaker.failures),
            cooldown: required(
                "breaker.cooldown",
                raw_breaker.cooldown,
                defaults.breaker.cooldown,
            )?,
        };
        let known = contract_rpcs();
        let mut rpcs = BTreeMap::new();
        for (name, raw_rpc) in raw.rpc {
            let key = name.trim_start_matches('/').to_owned();
            if !known.is_empty() && !known.contains_key(&format!("/{key}")) {
                return Err(format!(
                    "protogen.toml: [client.rpc.\"{name}\"]: the contract has no such RPC; write it as package.Service/Method"
                ));
            }
            let deadline = duration(&format!("rpc.\"{name}\".deadline"), raw_rpc.deadline, None)?;
            rpcs.insert(
                key,
                RpcOverride {
                    deadline,
                    idempotent: raw_rpc.idempotent,
                    max_attempts: raw_rpc.max_attempts,
                },
            );
        }
        Ok(ClientSettings {
            deadline: duration("deadline", raw.deadline, defaults.deadline)?,
            retry,
            breaker,
            rpcs,
        })
    }

    /// The policy of `path` (`/package.Service/Method`).
    pub fn policy(&self, path: &str) -> RpcPolicy {
        let key = path.trim_start_matches('/');
        let overrides = self.rpcs.get(key);
        let mut retry = self.retry.clone();
        if let Some(attempts) = overrides.and_then(|rpc| rpc.max_attempts) {
            retry.max_attempts = attempts.max(1);
        }
        RpcPolicy {
            deadline: overrides
                .and_then(|rpc| rpc.deadline)
                .or(self.deadline),
            idempotent: overrides
                .and_then(|rpc| rpc.idempotent)
                .unwrap_or_else(|| contract_idempotent(path)),
            retry,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    // Written by `protogen new`: which crate calls which services. Not policies.
    #[serde(rename = "crate")]
    _crate: Option<String>,
    #[serde(rename = "calls")]
    _calls: Option<Vec<String>>,
    deadline: Option<String>,
    retry: Option<RawRetry>,
    breaker: Option<RawBreaker>,
    #[serde(default)]
    rpc: BTreeMap<String, RawRpc>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    max_attempts: Option<u32>,
    initial_backoff: Option<String>,
    max_backoff: Option<String>,
    multiplier: Option<f64>,
    codes: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failures: Option<u32>,
    cooldown: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRpc {
    deadline: Option<String>,
    idempotent: Option<bool>,
    max_attempts: Option<u32>,
}

/// What the contract says about one RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcShape {
    /// `idempotency_level` is `NO_SIDE_EFFECTS` or `IDEMPOTENT`: a repeat is harmless.
    pub idempotent: bool,
    pub client_streaming: bool,
    pub server_streaming: bool,
}

/// The contract's word on the RPC at `path` (`/package.Service/Method`), if it has one.
pub fn contract_rpc(path: &str) -> Option<RpcShape> {
    contract_rpcs().get(path).copied()
}

/// Whether the contract marks the RPC at `path` as safe to repeat.
pub fn contract_idempotent(path: &str) -> bool {
    contract_rpc(path).is_some_and(|shape| shape.idempotent)
}

/// Every RPC of the embedded contract, by path.
fn contract_rpcs() -> &'static HashMap<String, RpcShape> {
    static RPCS: OnceLock<HashMap<String, RpcShape>> = OnceLock::new();
    RPCS.get_or_init(|| {
        use prost_types::method_options::IdempotencyLevel;
        let set = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET)
            .unwrap_or_default();
        let mut rpcs = HashMap::new();
        for file in &set.file {
            let package = file.package();
            for service in &file.service {
                let service_name = if package.is_empty() {
                    service.name().to_owned()
                } else {
                    format!("{package}.{}", service.name())
                };
                for method in &service.method {
                    let level = method
                        .options
                        .as_ref()
                        .map(|options| options.idempotency_level())
                        .unwrap_or(IdempotencyLevel::IdempotencyUnknown);
                    let shape = RpcShape {
                        idempotent: matches!(
                            level,
                            IdempotencyLevel::NoSideEffects | IdempotencyLevel::Idempotent
                        ),
                        client_streaming: method.client_streaming(),
                        server_streaming: method.server_streaming(),
                    };
                    rpcs.insert(format!("/{service_name}/{}", method.name()), shape);
                }
            }
        }
        rpcs
    })
}

//! What `check` decides for each deployed consumer: the changes it would feel (and through
//! which RPC or event), or why it is safe. `report` renders these; `impact` makes them.

/// The consumer verdicts of one check.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsumerSection {
    /// The rules consumers are judged by, as configured (`WIRE_JSON`).
    pub rules: String,
    pub verdicts: Vec<Verdict>,
}

/// One consumer's verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The lock file, as found.
    pub lock: String,
    /// The lock's short content hash (`3f2a19c`).
    pub hash: String,
    /// `breaks` or `safe`.
    pub status: &'static str,
    pub rpcs: Vec<String>,
    /// Subjects of the events it subscribes to (`orders.shipped`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    pub breaks: Vec<Break>,
    /// Breaking changes against the baseline that this consumer does not observe.
    pub unobserved: Vec<Unobserved>,
    /// Why it is safe (empty when it breaks).
    pub reason: String,
}

/// A change one consumer would feel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Break {
    /// buf's rule IDs that report it (several rules may judge one change).
    pub rules: Vec<String>,
    /// Full name of the element, e.g. `users.v1.User.role`.
    pub element: String,
    /// `users.v1.User.role (field 4) changed type string -> int32`.
    pub summary: String,
    /// How the consumer reaches it: `UsersService/FindOne response`, or for an event it
    /// subscribes to `received on subject orders.shipped`.
    pub reached_through: String,
    /// Where it is in the current contract (relative to the module root; line 0 if unknown).
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// A breaking change of the contract that a consumer does not observe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unobserved {
    pub rule: String,
    pub element: String,
    /// `not an RPC it calls` or `not reached from the RPCs it calls`.
    pub reason: String,
}

impl ConsumerSection {
    pub fn broken(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|v| !v.breaks.is_empty())
            .count()
    }
}

impl Verdict {
    /// `orders-client (lock 3f2a19c)`
    pub fn title(&self) -> String {
        format!("{} (lock {})", self.crate_name, self.hash)
    }
}

impl Break {
    /// `users.v1.User.role (field 4) changed type string -> int32, reached through UsersService/FindOne response`
    pub fn sentence(&self) -> String {
        if self.is_event() {
            return format!("{}, {}", self.summary, self.reached_through);
        }
        format!("{}, reached through {}", self.summary, self.reached_through)
    }

    /// Whether it reaches the consumer through an event it subscribes to.
    pub fn is_event(&self) -> bool {
        self.reached_through.starts_with("received on subject ")
    }
}

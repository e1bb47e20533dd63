//! Contract locks and what each consumer can observe: which RPCs a crate serves or calls,
//! which descriptors they reach, and which breaking changes a deployed consumer would feel.

mod canonical_json;
pub mod impact;
pub mod lock;
pub mod reach;
pub mod verdict;

pub use impact::{assess, find_locks, judge_consumers, LockFile};
pub use lock::{Lock, Role};
pub use reach::{reach, Direction, EventName, Reach, Route, RpcName, Via};
pub use verdict::{Break, ConsumerSection, Unobserved, Verdict};

#[cfg(test)]
mod tests;

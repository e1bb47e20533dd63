//! `protogen sync`: brings a scaffolded workspace along with its contract, adding stubs and
//! registrations and refreshing locks, without touching code a person wrote.

pub mod edit;

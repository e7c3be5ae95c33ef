//! Rate limiting (being written): Better Auth's rules and answers (WIRE.md §6).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// In-memory counters, shared by every [`crate::Auth`] the host builds from one handle (all
/// threads natively; one isolate on Workers).
#[derive(Clone, Default)]
pub struct MemoryStore(pub Arc<Mutex<HashMap<String, Bucket>>>);

/// One key's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Requests allowed in the current window.
    pub count: u64,
    /// When the last allowed request came (Unix ms).
    pub last_request: i64,
}

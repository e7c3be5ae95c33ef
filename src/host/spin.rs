//! The Fermyon Spin host (being written).

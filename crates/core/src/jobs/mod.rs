//! Jobs: the state machine, their rows and events in SQLite, history queries and metrics.

pub mod metrics;
pub mod repo;
pub mod state;

pub use repo::{Cursor, JobError, JobEvent, JobPage, JobQuery, JobRecord, OutputRecord};
pub use state::JobState;

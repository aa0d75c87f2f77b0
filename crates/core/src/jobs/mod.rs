//! Jobs: the state machine, the engine that drives a job from Generate to a finished MP4,
//! their rows and events in SQLite, history queries and metrics.

mod collect;
pub mod conn;
pub mod engine;
pub mod metrics;
pub mod progress;
pub mod repo;
pub mod request;
pub mod state;
pub mod update;

pub use collect::{DEBUG_METADATA, JOB_MANIFEST};
pub use engine::{Engine, JobDetail, JobInputView, Prepared};
pub use repo::{Cursor, JobError, JobEvent, JobPage, JobQuery, JobRecord, OutputRecord};
pub use request::{InputRef, JobInputs, JobRequest};
pub use state::JobState;
pub use update::JobUpdate;

//! The one model of a job: what is asked ([`JobRequest`]), what is stored ([`JobRecord`] with
//! its inputs, outputs and [`JobEvent`]s), what streams to the window ([`JobUpdate`]) and the
//! state machine ([`JobState`]). Every shell and every store reads and writes these types.

mod event;
mod record;
mod request;
mod state;
mod update;

pub use event::{EventData, JobEvent};
pub use record::{
    ClipFacts, JobInputRecord, JobRecord, JobTimes, NewJob, NewJobInput, OutputKind, OutputRecord,
    Relation, TemplateRef,
};
pub use request::{InputSource, JobInput, JobRequest, Role};
pub use state::JobState;
pub use update::JobUpdate;

//! The command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "animatrix",
    version,
    about = "Animatrix Studio, headless: manage servers, generate character videos, browse runs.",
    long_about = None,
)]
pub struct Cli {
    /// Machine-readable output (JSON; JSON lines for streams).
    #[arg(long, global = true)]
    pub json: bool,
    /// Log debug detail to stderr as well as to the log file.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage ComfyUI servers (endpoints). Secrets go to the OS keychain.
    #[command(subcommand)]
    Endpoint(EndpointCmd),
    /// Inspect and import media files (images, audio, video).
    #[command(subcommand)]
    Media(MediaCmd),
    /// Check that a server is usable: reachability, sign-in, version, GPU, queue, upload limit.
    Doctor {
        /// Server name (the default server when omitted).
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// List the generation templates, with their readiness on a server.
    Templates {
        #[arg(long)]
        endpoint: Option<String>,
        /// Do not contact a server.
        #[arg(long)]
        offline: bool,
    },
    /// Print the ComfyUI graph a job would run, without running it.
    Graph {
        /// Must be given: this command never submits.
        #[arg(long, required = true)]
        dry_run: bool,
        /// Do not contact a server (no preflight).
        #[arg(long)]
        offline: bool,
        #[command(subcommand)]
        job: SubmitKind,
    },
    /// Start a generation.
    Submit {
        /// Follow the job to the end, with progress.
        #[arg(long)]
        wait: bool,
        #[command(subcommand)]
        job: SubmitKind,
    },
    /// Follow a job to the end, with progress.
    Watch { job: String },
    /// List runs, newest first.
    Jobs {
        /// Words from the prompt.
        #[arg(long)]
        search: Option<String>,
        /// completed, failed, cancelled, queued, executing, ...
        #[arg(long)]
        status: Option<String>,
        /// animate or audio.
        #[arg(long)]
        mode: Option<String>,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// Everything about one run: settings, seed, template, timings, events, outputs.
    Show { job: String },
    /// Cancel a run (deleted from the server queue, or interrupted if running).
    Cancel { job: String },
    /// Run a failed or cancelled job again with the same inputs and settings.
    Retry {
        job: String,
        #[arg(long)]
        wait: bool,
    },
    /// Run any past job again with the same inputs and settings.
    Replay {
        job: String,
        /// Pick a new random seed instead of reusing the recorded one.
        #[arg(long)]
        new_seed: bool,
        #[arg(long)]
        wait: bool,
    },
    /// Where a run's outputs are, or open the video.
    Outputs {
        job: String,
        #[arg(long, conflicts_with = "path")]
        open: bool,
        #[arg(long)]
        path: bool,
    },
    /// Reconcile every unfinished job with its server (what the app does on start).
    Recover {
        #[arg(long)]
        wait: bool,
    },
    /// Offline demo packs: export runs, import a pack, perform a demo run without a server.
    #[command(subcommand)]
    Demo(crate::commands::demo::DemoCmd),
}

#[derive(Debug, Subcommand)]
pub enum SubmitKind {
    /// Audio Performance: a character image performs an audio clip (talking, singing).
    Audio {
        #[arg(long)]
        image: std::path::PathBuf,
        #[arg(long)]
        audio: std::path::PathBuf,
        #[command(flatten)]
        common: CommonJobArgs,
    },
    /// Animate: a character image moves like a motion video (move) or replaces its person (mix).
    Animate {
        #[arg(long, value_parser = ["move", "mix"], default_value = "move")]
        mode: String,
        #[arg(long)]
        image: std::path::PathBuf,
        #[arg(long)]
        video: std::path::PathBuf,
        /// Mix: the person to replace, as x,y in 0..1 of the video's first frame (repeatable).
        #[arg(long = "point")]
        points: Vec<String>,
        #[command(flatten)]
        common: CommonJobArgs,
    },
}

#[derive(Debug, Args)]
pub struct CommonJobArgs {
    #[arg(long)]
    pub prompt: String,
    #[arg(long)]
    pub negative: Option<String>,
    #[arg(long, value_parser = ["draft", "standard", "high"])]
    pub profile: Option<String>,
    #[arg(long, value_parser = ["9:16", "16:9", "1:1"])]
    pub aspect: Option<String>,
    #[arg(long, value_parser = ["portrait", "half_body", "full_body"])]
    pub framing: Option<String>,
    /// Fixed seed for a reproducible run; random when omitted.
    #[arg(long)]
    pub seed: Option<i64>,
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Extra reference images (recorded with the run).
    #[arg(long = "reference")]
    pub references: Vec<std::path::PathBuf>,
    /// A pose sheet: soft guidance only.
    #[arg(long)]
    pub pose_sheet: Option<std::path::PathBuf>,
    /// Template parameter NAME=VALUE (JSON value or plain text), see `animatrix templates`.
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Pad the image to the aspect instead of cropping it.
    #[arg(long)]
    pub pad: bool,
}

#[derive(Debug, Subcommand)]
pub enum MediaCmd {
    /// Print what a file really is (sniffed from its bytes) and its facts.
    Probe { file: std::path::PathBuf },
    /// Normalize a file into the asset store and record it.
    Import {
        file: std::path::PathBuf,
        /// What the file is for.
        #[arg(long, value_parser = ["ground_truth", "reference", "pose_sheet", "motion_video", "audio"])]
        role: String,
        /// Fit images to this aspect (9:16, 16:9 or 1:1).
        #[arg(long, value_parser = ["9:16", "16:9", "1:1"])]
        aspect: Option<String>,
        /// Pad instead of cropping when fitting to the aspect.
        #[arg(long)]
        pad: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EndpointCmd {
    /// Add a server. The secret (token, user:password or header value) is read from stdin or
    /// prompted on a terminal, never taken from the command line.
    Add(EndpointAdd),
    /// List servers.
    List,
    /// Remove a server and its keychain secret.
    Remove {
        /// The server's name.
        name: String,
    },
    /// Make a server the default for new jobs.
    Default {
        /// The server's name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct EndpointAdd {
    /// A short name, e.g. studio-gpu.
    pub name: String,
    /// Base URL, e.g. https://comfy.example.com
    pub url: String,
    /// Sign-in method: none, bearer, basic (secret is user:password) or header:<Header-Name>.
    #[arg(long, default_value = "none")]
    pub auth: String,
    /// Make it the default server.
    #[arg(long)]
    pub default: bool,
}

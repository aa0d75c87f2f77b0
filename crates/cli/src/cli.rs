//! The command-line grammar (clap derive). Flags users reach for on any command (`--json`,
//! `--endpoint`, `--wait`, `--dry-run`, `--offline`) are globals: accepted before or after the
//! subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "animatrix",
    version,
    about = "Animatrix Studio, headless: manage servers, generate character videos, browse runs.",
    long_about = None,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Machine-readable output (JSON; JSON lines for streams).
    #[arg(long, global = true)]
    pub json: bool,
    /// Log debug detail to stderr as well as to the log file.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// The server or pool to use (the default target when omitted).
    #[arg(long, global = true, value_name = "NAME")]
    pub endpoint: Option<String>,
    /// Follow the job to its end, with progress (submit, retry, replay, recover).
    #[arg(long, global = true)]
    pub wait: bool,
    /// Show what would run without running it (graph).
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Do not contact any server (graph, templates).
    #[arg(long, global = true)]
    pub offline: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage ComfyUI servers (endpoints). Secrets go to the OS keychain.
    #[command(subcommand)]
    Endpoint(EndpointCmd),
    /// Inspect and import media files (images, audio, video).
    #[command(subcommand)]
    Media(MediaCmd),
    /// Server pools: several servers used as one target (`--endpoint POOL`).
    #[command(subcommand)]
    Pool(PoolCmd),
    /// Check that a server is usable: reachability, sign-in, version, GPU, queue, upload limit.
    Doctor {
        /// Check every configured server (instead of one).
        #[arg(long)]
        all: bool,
    },
    /// List the generation templates, with their readiness on a server.
    Templates,
    /// Print the ComfyUI graph a job would run, without running it (needs --dry-run).
    Graph {
        #[command(subcommand)]
        job: SubmitKind,
    },
    /// Start a generation.
    Submit {
        #[command(subcommand)]
        job: SubmitKind,
    },
    /// Follow a job to the end, with progress.
    Watch {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// List runs, newest first.
    Jobs {
        /// Words from the prompt.
        #[arg(long)]
        search: Option<String>,
        /// completed, failed, cancelled, queued, executing, ...
        #[arg(long)]
        status: Option<String>,
        /// A studio: animate, audio, or another template's mode.
        #[arg(long)]
        mode: Option<String>,
        /// How many runs to list.
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// Everything about one run: settings, seed, template, timings, events, outputs.
    Show {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// Cancel a run (deleted from the server queue, or interrupted if running).
    Cancel {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// Run a failed or cancelled job again with the same inputs and settings.
    Retry {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// Run any past job again with the same inputs and settings.
    Replay {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
        /// Pick a new random seed instead of reusing the recorded one.
        #[arg(long)]
        new_seed: bool,
    },
    /// Where a run's outputs are, or open the video.
    Outputs {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
        /// Open the video in the system player.
        #[arg(long, conflicts_with = "path")]
        open: bool,
        /// Print only the video's path.
        #[arg(long)]
        path: bool,
    },
    /// Reconcile every unfinished job with its server (what the app does on start).
    Recover,
    /// Offline demo packs: export runs, import a pack, perform a demo run without a server.
    #[command(subcommand)]
    Demo(crate::commands::demo::DemoCmd),
    /// The S3-compatible bucket runs are published to (key pair in the OS keychain).
    #[command(subcommand)]
    Storage(crate::commands::storage::StorageCmd),
    /// Upload a completed run to the bucket (resumes an interrupted publish).
    Publish {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// Delete a published run's objects from the bucket.
    Unpublish {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
    },
    /// Print a presigned HTTPS link to a published run's video (alone on stdout).
    Share {
        /// Run id (or a unique prefix of 6+ characters).
        job: String,
        /// How long the link works: 30m, 24h, 7d (at most 7 days).
        #[arg(long, default_value = "24h")]
        expires: String,
    },
    /// The team library: runs published to the bucket by any workstation.
    #[command(subcommand)]
    Library(crate::commands::storage::LibraryCmd),
}

#[derive(Debug, Subcommand)]
pub enum SubmitKind {
    /// Audio Performance: a character image performs an audio clip (talking, singing).
    Audio {
        /// The character image (ground truth).
        #[arg(long)]
        image: PathBuf,
        /// The speech or song.
        #[arg(long)]
        audio: PathBuf,
        #[command(flatten)]
        common: CommonJobArgs,
    },
    /// Animate: a character image moves like a motion video (move) or replaces its person (mix).
    Animate {
        /// move: copy the video's motion; mix: replace the person in the video.
        #[arg(long, value_parser = ["move", "mix"], default_value = "move")]
        mode: String,
        /// The character image (ground truth).
        #[arg(long)]
        image: PathBuf,
        /// The motion video.
        #[arg(long)]
        video: PathBuf,
        /// Mix: the person to replace, as x,y in 0..1 of the video's first frame (repeatable).
        #[arg(long = "point")]
        points: Vec<String>,
        #[command(flatten)]
        common: CommonJobArgs,
    },
    /// Any installed template by name, its inputs by role (see `animatrix templates`).
    #[command(name = "template")]
    Template {
        /// The template's name, e.g. start_end_frame.
        name: String,
        /// An input as ROLE=FILE, e.g. --input ground_truth=hero.png (repeatable).
        #[arg(long = "input", value_name = "ROLE=FILE")]
        inputs: Vec<String>,
        /// A marked point x,y in 0..1 (templates that take points; repeatable).
        #[arg(long = "point")]
        points: Vec<String>,
        #[command(flatten)]
        common: CommonJobArgs,
    },
}

#[derive(Debug, Args)]
pub struct CommonJobArgs {
    /// What the character should do.
    #[arg(long)]
    pub prompt: String,
    /// What to avoid (the template's default when omitted).
    #[arg(long)]
    pub negative: Option<String>,
    /// Quality profile: draft, standard or high (the template's default when omitted).
    #[arg(long)]
    pub profile: Option<String>,
    /// Aspect: 9:16, 16:9 or 1:1 (the template's default when omitted).
    #[arg(long)]
    pub aspect: Option<String>,
    /// Framing preset of templates that have them (portrait, half_body, full_body).
    #[arg(long)]
    pub framing: Option<String>,
    /// Fixed seed for a reproducible run; random when omitted.
    #[arg(long)]
    pub seed: Option<i64>,
    /// Output length in seconds, shorter than the source allows.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Extra reference images (recorded with the run).
    #[arg(long = "reference")]
    pub references: Vec<PathBuf>,
    /// A pose sheet: soft guidance only.
    #[arg(long)]
    pub pose_sheet: Option<PathBuf>,
    /// Template parameter NAME=VALUE (JSON value or plain text), see `animatrix templates`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Pad the image to the aspect instead of cropping it.
    #[arg(long)]
    pub pad: bool,
}

#[derive(Debug, Subcommand)]
pub enum MediaCmd {
    /// Print what a file really is (sniffed from its bytes) and its facts.
    Probe {
        /// The file to inspect.
        file: PathBuf,
    },
    /// Normalize a file into the asset store and record it.
    Import {
        /// The file to import.
        file: PathBuf,
        /// What the file is for: an input role of a template (ground_truth, audio,
        /// motion_video, reference, pose_sheet, ...).
        #[arg(long)]
        role: String,
        /// The template whose role it fills (the first template that declares the role when
        /// omitted).
        #[arg(long)]
        template: Option<String>,
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
    /// Make a server (or a pool) the default target for new jobs.
    Default {
        /// The server's or pool's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PoolCmd {
    /// Create a pool of existing servers (each keeps its own sign-in).
    Create {
        /// The pool's name (servers and pools share one list of names).
        name: String,
        /// Its servers, by name, in tie-break order.
        #[arg(required = true, num_args = 1..)]
        members: Vec<String>,
        /// Do not resubmit prompts a server loses to a restart.
        #[arg(long)]
        no_failover: bool,
        /// Warn before Generate when the expected wait passes this many seconds.
        #[arg(long, value_name = "SECONDS")]
        wait_warning: Option<u32>,
    },
    /// Add a server to a pool.
    Add {
        /// The pool's name.
        name: String,
        /// The server's name.
        member: String,
    },
    /// Remove a server from a pool (the server itself stays).
    Remove {
        /// The pool's name.
        name: String,
        /// The server's name.
        member: String,
    },
    /// List pools.
    List,
    /// A pool's settings and each member's reachability and queue.
    Show {
        /// The pool's name.
        name: String,
    },
    /// Delete a pool (its servers stay).
    Delete {
        /// The pool's name.
        name: String,
    },
    /// Make a pool the default target for new jobs.
    Default {
        /// The pool's name.
        name: String,
    },
    /// Change a pool's settings.
    Set {
        /// The pool's name.
        name: String,
        /// Resubmit prompts lost to a server restart: on or off.
        #[arg(long, value_parser = ["on", "off"])]
        failover: Option<String>,
        /// Warn before Generate when the expected wait passes this many seconds.
        #[arg(long, value_name = "SECONDS")]
        wait_warning: Option<u32>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_flag_and_argument_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "animatrix", &mut missing);
        assert!(missing.is_empty(), "no help line: {missing:#?}");
    }

    #[test]
    fn globals_go_before_or_after_the_subcommand() {
        for args in [
            vec!["animatrix", "--json", "--endpoint", "lab", "templates"],
            vec!["animatrix", "templates", "--json", "--endpoint", "lab"],
        ] {
            let cli = Cli::try_parse_from(&args).expect("parse");
            assert!(cli.global.json);
            assert_eq!(cli.global.endpoint.as_deref(), Some("lab"));
        }
        let cli = Cli::try_parse_from([
            "animatrix",
            "--wait",
            "submit",
            "audio",
            "--image",
            "a.png",
            "--audio",
            "b.wav",
            "--prompt",
            "x",
        ])
        .expect("parse");
        assert!(cli.global.wait);
        let cli = Cli::try_parse_from([
            "animatrix",
            "graph",
            "audio",
            "--image",
            "a.png",
            "--audio",
            "b.wav",
            "--prompt",
            "x",
            "--dry-run",
            "--offline",
        ])
        .expect("parse");
        assert!(cli.global.dry_run && cli.global.offline);
    }
}

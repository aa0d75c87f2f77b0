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

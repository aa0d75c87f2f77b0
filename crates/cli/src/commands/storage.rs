//! `animatrix storage set|show|test|clear`, `publish`, `unpublish`, `share`,
//! `library list|import`: adapters over the core's sharing API.

use std::io::{IsTerminal, Read};

use animatrix_common::{ErrorCode, UserError};
use animatrix_core::Studio;
use animatrix_core::storage::{Credentials, StorageTarget, parse_expiry};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::exit::Failure;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub enum StorageCmd {
    /// Set the S3-compatible bucket runs are published to. The access key id and the secret
    /// are read from standard input as two lines (or prompted), never from the command line.
    Set(StorageSet),
    /// Show the storage target (never the secret).
    Show,
    /// Write, read back and delete a probe object: says plainly what fails.
    Test,
    /// Forget the storage target and delete its key pair from the keychain (published objects
    /// stay in the bucket).
    Clear,
}

#[derive(Debug, Args)]
pub struct StorageSet {
    /// The server, e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:3900
    #[arg(long)]
    pub url: String,
    /// The bucket name.
    #[arg(long)]
    pub bucket: String,
    /// The region (us-east-1 when omitted; `auto` for R2, `garage` for Garage).
    #[arg(long, default_value = "")]
    pub region: String,
    /// A folder inside the bucket for this team's runs.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Address the bucket as https://host/bucket (MinIO, Garage) instead of https://bucket.host.
    #[arg(long)]
    pub path_style: bool,
    /// Publish every run that completes on this machine.
    #[arg(long)]
    pub auto_publish: bool,
}

#[derive(Debug, Subcommand)]
pub enum LibraryCmd {
    /// The runs published to the bucket by any workstation.
    List,
    /// Import a published run (verified completely, like a demo pack; importing it again adds
    /// nothing).
    Import {
        /// The run's id as listed by `animatrix library list`.
        job_id: String,
    },
}

pub async fn storage(studio: &Studio, cmd: StorageCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        StorageCmd::Set(args) => {
            let creds = read_key_pair()?;
            let target = StorageTarget {
                endpoint_url: args.url,
                region: args.region,
                bucket: args.bucket,
                prefix: args.prefix,
                path_style: args.path_style,
            };
            let settings = studio.set_storage(target, creds, args.auto_publish).await?;
            if json {
                print_json(&settings);
            } else if let Some(location) = settings.location {
                println!("storage set: {location} (key pair in the keychain)");
            }
            Ok(())
        }
        StorageCmd::Show => {
            let settings = studio.storage_settings().await?;
            if json {
                print_json(&settings);
                return Ok(());
            }
            match (&settings.target, &settings.location) {
                (Some(t), Some(location)) => {
                    println!("location      {location}");
                    println!("region        {}", t.region);
                    println!(
                        "addressing    {}",
                        if t.path_style {
                            "path style"
                        } else {
                            "virtual host"
                        }
                    );
                    println!(
                        "access key    {}",
                        settings
                            .access_key_id
                            .as_deref()
                            .unwrap_or("(none in keychain)")
                    );
                    println!(
                        "auto-publish  {}",
                        if settings.auto_publish { "on" } else { "off" }
                    );
                }
                _ => println!("no storage set; use `animatrix storage set --url URL --bucket B`"),
            }
            Ok(())
        }
        StorageCmd::Test => {
            studio.test_storage().await?;
            if json {
                print_json(&json!({ "ok": true }));
            } else {
                println!("storage ok: wrote, read and deleted a probe object");
            }
            Ok(())
        }
        StorageCmd::Clear => {
            studio.clear_storage().await?;
            if json {
                print_json(&json!({ "cleared": true }));
            } else {
                println!("storage cleared");
            }
            Ok(())
        }
    }
}

pub async fn publish(studio: &Studio, job: &str, json: bool) -> Result<(), Failure> {
    let summary = studio.publish(job).await?;
    if json {
        print_json(&summary);
    } else {
        println!(
            "published {} to {} ({} files sent, {} already there, {} bytes)",
            summary.publication.job_id,
            summary.publication.location,
            summary.uploaded,
            summary.skipped,
            summary.bytes_uploaded
        );
    }
    Ok(())
}

pub async fn unpublish(studio: &Studio, job: &str, json: bool) -> Result<(), Failure> {
    let deleted = studio.unpublish(job).await?;
    if json {
        print_json(&json!({ "deleted_objects": deleted }));
    } else {
        println!("unpublished: {deleted} objects deleted");
    }
    Ok(())
}

/// Prints the link alone on stdout (so `$(animatrix share JOB)` is the link).
pub async fn share(studio: &Studio, job: &str, expires: &str, json: bool) -> Result<(), Failure> {
    let expires_in = parse_expiry(expires)?;
    let url = studio.share_link(job, expires_in).await?;
    if json {
        print_json(&json!({ "url": url, "expires_in_seconds": expires_in.as_secs() }));
    } else {
        println!("{url}");
    }
    Ok(())
}

pub async fn library(studio: &Studio, cmd: LibraryCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        LibraryCmd::List => {
            let entries = studio.library_list().await?;
            if json {
                print_json(&entries);
                return Ok(());
            }
            if entries.is_empty() {
                println!("no published runs in the library");
            }
            for e in entries {
                let here = if e.made_here {
                    " [made here]"
                } else if e.local_job_id.is_some() {
                    " [imported]"
                } else {
                    ""
                };
                println!("{}  {:<8} {}{here}", e.run.job_id, e.run.mode, e.run.prompt);
            }
            Ok(())
        }
        LibraryCmd::Import { job_id } => {
            let imported = studio.library_import(&job_id).await?;
            if json {
                print_json(&imported);
            } else if imported.imported {
                println!("imported as {} from {}", imported.job_id, imported.location);
            } else {
                println!("already here as {}", imported.job_id);
            }
            Ok(())
        }
    }
}

/// Two lines: the access key id, then the secret. Prompted (no echo) on a terminal.
fn read_key_pair() -> Result<Credentials, Failure> {
    let (id, secret) = if std::io::stdin().is_terminal() {
        let id = rpassword::prompt_password("Access key id: ").map_err(unreadable)?;
        let secret = rpassword::prompt_password("Secret access key: ").map_err(unreadable)?;
        (id, secret)
    } else {
        let mut buf = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut buf)
            .map_err(unreadable)?;
        let mut lines = buf.lines();
        (
            lines.next().unwrap_or_default().trim().to_string(),
            lines.next().unwrap_or_default().trim().to_string(),
        )
    };
    if id.is_empty() || secret.is_empty() {
        return Err(Failure::from_user_error(UserError::new(
            ErrorCode::SecretRequired,
            "The storage key pair is missing.",
            "Pipe two lines on standard input: the access key id, then the secret.",
        )));
    }
    Ok(Credentials {
        access_key_id: id,
        secret_access_key: secret.into(),
    })
}

fn unreadable(e: std::io::Error) -> Failure {
    Failure::from_user_error(
        UserError::new(
            ErrorCode::SecretUnreadable,
            "The storage key pair could not be read from the terminal or standard input.",
            "Pipe two lines on standard input: the access key id, then the secret.",
        )
        .with_detail(e.to_string()),
    )
}

//! `animatrix endpoint add|list|remove|default`.

use std::io::{IsTerminal, Read};

use animatrix_common::{ErrorCode, UserError};
use animatrix_core::{AuthKind, NewEndpoint, Studio};

use crate::cli::{EndpointAdd, EndpointCmd};
use crate::exit::Failure;
use crate::output::print_json;

pub async fn run(studio: &Studio, cmd: EndpointCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        EndpointCmd::Add(args) => add(studio, args, json).await,
        EndpointCmd::List => list(studio, json).await,
        EndpointCmd::Remove { name } => {
            studio.remove_endpoint(&name).await?;
            if !json {
                println!("removed {name}");
            }
            Ok(())
        }
        EndpointCmd::Default { name } => {
            studio.set_default_target(&name).await?;
            if !json {
                println!("{name} is now the default target");
            }
            Ok(())
        }
    }
}

async fn add(studio: &Studio, args: EndpointAdd, json: bool) -> Result<(), Failure> {
    let auth = AuthKind::parse(&args.auth)?;
    let secret = if auth.needs_secret() {
        Some(read_secret(&auth)?)
    } else {
        None
    };
    let view = studio
        .add_endpoint(
            NewEndpoint {
                name: args.name,
                base_url: args.url,
                auth,
                make_default: args.default,
            },
            secret,
        )
        .await?;
    if json {
        print_json(&view);
    } else {
        println!(
            "added {} ({}, auth {}{})",
            view.name,
            view.base_url,
            view.auth.label(),
            if view.is_default { ", default" } else { "" }
        );
    }
    Ok(())
}

async fn list(studio: &Studio, json: bool) -> Result<(), Failure> {
    let endpoints = studio.list_endpoints().await?;
    if json {
        print_json(&endpoints);
        return Ok(());
    }
    if endpoints.is_empty() {
        println!("no servers configured; add one with `animatrix endpoint add NAME URL`");
    }
    for e in endpoints {
        println!(
            "{} {:<20} {:<40} auth {}{}",
            if e.is_default { "*" } else { " " },
            e.name,
            e.base_url,
            e.auth.label(),
            if e.has_secret {
                " (secret in keychain)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// Secrets come from a TTY prompt (no echo) or, when stdin is piped, its first line.
fn read_secret(auth: &AuthKind) -> Result<String, Failure> {
    let what = match auth {
        AuthKind::Basic => "user:password",
        AuthKind::Bearer => "token",
        _ => "header value",
    };
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Secret ({what}): ")).map_err(io_failure)?
    } else {
        let mut buf = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut buf)
            .map_err(io_failure)?;
        buf.lines().next().unwrap_or_default().to_string()
    };
    if matches!(auth, AuthKind::Basic) && !secret.contains(':') {
        return Err(Failure::from_user_error(UserError::new(
            ErrorCode::InvalidInput,
            "A basic sign-in secret must be written as user:password.",
            "Pipe or type the secret as user:password.",
        )));
    }
    Ok(secret)
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::from_user_error(UserError::new(
            ErrorCode::SecretUnreadable,
            "The secret could not be read from the terminal or standard input.",
            "Pipe the secret on standard input, e.g. `printf %s \"$TOKEN\" | animatrix endpoint add ...`.",
        )
        .with_detail(e.to_string()))
}

//! `animatrix pool create|add|remove|list|show|delete|default|set`: adapters over the core's
//! pool API (every rule, name check and default lives there).

use animatrix_core::Studio;
use animatrix_core::pools::{PoolSettings, PoolView};

use crate::cli::PoolCmd;
use crate::exit::Failure;
use crate::output::print_json;

pub async fn run(studio: &Studio, cmd: PoolCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        PoolCmd::Create {
            name,
            members,
            no_failover,
            wait_warning,
        } => {
            let settings = PoolSettings {
                failover: !no_failover,
                wait_warning_seconds: wait_warning
                    .unwrap_or(PoolSettings::default().wait_warning_seconds),
            };
            let pool = studio.create_pool(&name, &members, Some(settings)).await?;
            done(json, &pool, &format!("created pool {}", pool.name))
        }
        PoolCmd::Add { name, member } => {
            let pool = studio.add_pool_member(&name, &member).await?;
            done(json, &pool, &format!("added {member} to {name}"))
        }
        PoolCmd::Remove { name, member } => {
            let pool = studio.remove_pool_member(&name, &member).await?;
            done(json, &pool, &format!("removed {member} from {name}"))
        }
        PoolCmd::List => {
            let pools = studio.list_pools().await?;
            if json {
                print_json(&pools);
            } else if pools.is_empty() {
                println!("no pools; create one with `animatrix pool create NAME SERVER...`");
            }
            if !json {
                for p in &pools {
                    println!(
                        "{} {:<20} {}",
                        if p.is_default { "*" } else { " " },
                        p.name,
                        p.members.join(", ")
                    );
                }
            }
            Ok(())
        }
        PoolCmd::Show { name } => {
            let detail = studio.pool_detail(&name).await?;
            if json {
                print_json(&detail);
                return Ok(());
            }
            let p = &detail.pool;
            println!("pool          {}{}", p.name, default_mark(p));
            println!(
                "failover      {}",
                if p.settings.failover { "on" } else { "off" }
            );
            println!("wait warning  {} s", p.settings.wait_warning_seconds);
            for m in &detail.members {
                match (&m.queue, &m.error) {
                    (Some(q), _) => {
                        println!("member        {:<20} {} queue {q}", m.endpoint, m.base_url)
                    }
                    (None, Some(e)) => println!(
                        "member        {:<20} {} unreachable: {}",
                        m.endpoint, m.base_url, e.message
                    ),
                    (None, None) => println!("member        {:<20} {}", m.endpoint, m.base_url),
                }
                if let Some(g) = &m.gpu_name {
                    let gib = |b: Option<u64>| b.unwrap_or(0) as f64 / 1024f64.powi(3);
                    println!(
                        "  GPU         {g} ({:.1} GiB free of {:.1} GiB)",
                        gib(m.vram_free),
                        gib(m.vram_total)
                    );
                }
                super::server::print_metrics(&m.metrics);
            }
            Ok(())
        }
        PoolCmd::Delete { name } => {
            studio.delete_pool(&name).await?;
            if !json {
                println!("deleted pool {name}");
            }
            Ok(())
        }
        PoolCmd::Default { name } => {
            studio.set_default_target(&name).await?;
            let pool = studio.pool(&name).await?;
            done(json, &pool, &format!("{name} is now the default target"))
        }
        PoolCmd::Set {
            name,
            failover,
            wait_warning,
        } => {
            let mut settings = studio.pool(&name).await?.settings;
            if let Some(f) = failover {
                settings.failover = f == "on";
            }
            if let Some(w) = wait_warning {
                settings.wait_warning_seconds = w;
            }
            let pool = studio.update_pool_settings(&name, settings).await?;
            done(json, &pool, &format!("updated pool {name}"))
        }
    }
}

fn default_mark(p: &PoolView) -> &'static str {
    if p.is_default {
        " (default target)"
    } else {
        ""
    }
}

fn done(json: bool, pool: &PoolView, words: &str) -> Result<(), Failure> {
    if json {
        print_json(pool);
    } else {
        println!("{words}: {}", pool.members.join(", "));
    }
    Ok(())
}

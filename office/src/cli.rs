//! Command-line interface: serving, and the operator's commands.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use app::operator::{self, LoadError, NewTenant};
use app::{App, Config};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "office",
    version,
    about = "말톡오피스: the local all-in-one and operator commands"
)]
pub struct Cli {
    /// Where the store (office.redb), blobs and local secrets live.
    #[arg(long, env = "OFFICE_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (keep 127.0.0.1 unless you mean to expose it).
    #[arg(long, env = "OFFICE_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// HTTP port; 0 picks a free one (printed at start).
    #[arg(long, env = "OFFICE_PORT", default_value_t = 8080)]
    pub port: u16,
    /// SIP port (UDP) of the media edge; 0 picks a free one (printed at start).
    #[arg(long, env = "OFFICE_SIP_PORT", default_value_t = 5060)]
    pub sip_port: u16,
    /// SIP over TLS port; 0 picks a free one. Default 5061 (a free one
    /// when --sip-port is 0).
    #[arg(long, env = "OFFICE_SIP_TLS_PORT")]
    pub sip_tls_port: Option<u16>,
    /// PEM certificate chain for SIP over TLS (default: a self-signed one
    /// made once in the data dir, `sip-tls.crt`).
    #[arg(long, env = "OFFICE_SIP_TLS_CERT", requires = "sip_tls_key")]
    pub sip_tls_cert: Option<std::path::PathBuf>,
    /// Its PEM private key.
    #[arg(long, env = "OFFICE_SIP_TLS_KEY", requires = "sip_tls_cert")]
    pub sip_tls_key: Option<std::path::PathBuf>,
    /// Seed the demo tenant (the default when serving) and print its logins.
    #[arg(long, conflicts_with = "no_demo")]
    pub demo: bool,
    /// Serve without creating or printing the demo tenant.
    #[arg(long)]
    pub no_demo: bool,
    /// Seed the demo without its example calls (tests that count calls).
    /// From the environment: 1/0, true/false, yes/no, on/off.
    #[arg(
        long,
        env = "OFFICE_DEMO_NO_CALLS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub demo_no_calls: bool,
    /// Print one JSON object (URLs, logins, API key) on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the product (what `office` with no command does).
    Serve,
    /// Create the demo tenant if it is missing, print its logins, and exit.
    Demo,
    /// Tenants (customer companies).
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// A tenant's administrator account.
    #[command(subcommand)]
    Admin(AdminCmd),
    /// The pool of 070 numbers.
    #[command(subcommand)]
    Numbers(NumbersCmd),
    /// Integrator API keys.
    #[command(subcommand)]
    Apikey(ApiKeyCmd),
    /// Korean public holidays of a year (computed), with the operator's one-off days.
    Holidays(HolidaysArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HolidaysArgs {
    #[command(subcommand)]
    pub action: Option<HolidayAction>,
    /// The year, e.g. 2027 (default: this year in Korea).
    pub year: Option<i32>,
    /// A JSON array of {date, name} instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum HolidayAction {
    /// Add a one-off public holiday (election day, 임시공휴일).
    Add {
        #[arg(long)]
        date: String,
        #[arg(long)]
        name: String,
    },
    /// Remove a one-off public holiday.
    Remove {
        #[arg(long)]
        date: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Create a tenant.
    Create {
        /// Company name, e.g. "(주)다이얼커뮤니케이션즈".
        #[arg(long)]
        name: String,
        /// Tenant id (a-z, 0-9, '-'); generated when omitted.
        #[arg(long)]
        id: Option<String>,
        /// 대표번호, the sender of admin SMS (e.g. 1588-1234).
        #[arg(long)]
        representative: Option<String>,
    },
    /// List tenants.
    List,
    /// Set the tenant's Kakao business-message provider account (알림톡).
    Kakao {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        endpoint: String,
        #[arg(long)]
        sender_key: String,
        #[arg(long, env = "OFFICE_KAKAO_API_KEY")]
        api_key: String,
    },
    /// Register an approved Alimtalk template (#{name} placeholders).
    Template {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        text: String,
    },
    /// Set per-message unit prices in won with one decimal (정산관리), e.g. --sms 31.2.
    Rates {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        sms: String,
        #[arg(long)]
        lms: String,
        #[arg(long)]
        mms: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Create a tenant's administrator (active at once).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "관리자")]
        name: String,
        /// Password (10+ characters); a strong one is generated and printed when omitted.
        #[arg(long, env = "OFFICE_ADMIN_PASSWORD")]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NumbersCmd {
    /// Load 070 numbers from a CSV file (one per line; optional header `number`).
    /// Any bad line rejects the whole file; loading again adds nothing.
    Load {
        #[arg(long)]
        csv: PathBuf,
        /// Pool region (defaults to OFFICE_REGION, i.e. kr).
        #[arg(long)]
        region: Option<String>,
    },
    /// Show free numbers of a region.
    Available {
        #[arg(long)]
        region: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCmd {
    /// Create an API key (printed once; only its hash is kept).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Scopes, repeatable (e.g. --scope calls:read --scope sms:send); all when omitted.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
}

/// The configuration from the environment, with the CLI's data directory.
fn config(cli: &Cli) -> anyhow::Result<Config> {
    let data_dir = cli.data_dir.to_string_lossy().into_owned();
    Ok(Config::from_lookup(|k| {
        if k == "OFFICE_DATA_DIR" {
            Some(data_dir.clone())
        } else {
            std::env::var(k).ok().filter(|v| !v.is_empty())
        }
    })?)
}

async fn open(cfg: &Config) -> anyhow::Result<App> {
    let url = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    Ok(App::open(cfg, &url).await?)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = config(&cli)?;
    match &cli.command {
        None | Some(Command::Serve) => crate::serve::serve(cfg, cli.serve.clone()).await,
        Some(Command::Demo) => {
            let app = open(&cfg).await?;
            let info = app::demo::seed(&app, &cfg.data_dir).await?;
            let base = cfg
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}:{}", cli.serve.host, cli.serve.port));
            crate::serve::print_demo(&base, &cfg, None, &info, cli.serve.json)
        }
        Some(Command::Tenant(TenantCmd::Create {
            name,
            id,
            representative,
        })) => {
            let app = open(&cfg).await?;
            let t = operator::create_tenant(
                &app,
                NewTenant {
                    id: id.clone(),
                    name: name.clone(),
                    representative_number: representative.clone(),
                    region: None,
                },
            )
            .await?;
            println!(
                "created tenant {} ({}); app join code {}",
                t.id, t.name, t.join_code
            );
            Ok(())
        }
        Some(Command::Tenant(TenantCmd::Kakao {
            tenant,
            endpoint,
            sender_key,
            api_key,
        })) => {
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://127.0.0.1")) {
                bail!("--endpoint must be an https:// URL");
            }
            let t = domain::TenantId::parse(tenant)?;
            let app = open(&cfg).await?;
            store::repo::tenants::set_kakao(&*app.store, &t, endpoint, sender_key, api_key).await?;
            println!("tenant {t}: Alimtalk through {endpoint}");
            Ok(())
        }
        Some(Command::Tenant(TenantCmd::Template { tenant, code, text })) => {
            if code.is_empty() || code.contains('#') || text.trim().is_empty() {
                bail!("--code (no '#') and --text are required");
            }
            let t = domain::TenantId::parse(tenant)?;
            let app = open(&cfg).await?;
            store::repo::tenants::put_template(&*app.store, &t, code, text).await?;
            println!("tenant {t}: template {code} registered");
            Ok(())
        }
        Some(Command::Tenant(TenantCmd::Rates {
            tenant,
            sms,
            lms,
            mms,
        })) => {
            let price = |name: &str, v: &str| {
                domain::sms::Won10::parse(v).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--{name} {v:?}: a price in won with at most one decimal, e.g. 31.2"
                    )
                })
            };
            let (s, l, m) = (price("sms", sms)?, price("lms", lms)?, price("mms", mms)?);
            let t = domain::TenantId::parse(tenant)?;
            let app = open(&cfg).await?;
            store::repo::tenants::set_rates(&*app.store, &t, s, l, m).await?;
            println!("tenant {t}: SMS {s}, LMS {l}, MMS {m}");
            Ok(())
        }
        Some(Command::Tenant(TenantCmd::List)) => {
            let app = open(&cfg).await?;
            for t in store::repo::tenants::list(&*app.store).await? {
                let rep = t
                    .representative_number
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id, t.name, t.region, rep, t.join_code
                );
            }
            Ok(())
        }
        Some(Command::Admin(AdminCmd::Create {
            tenant,
            email,
            name,
            password,
        })) => {
            let app = open(&cfg).await?;
            let (a, generated) =
                operator::create_admin(&app, tenant, name, email, password.clone()).await?;
            let email = a.email.map(|e| e.to_string()).unwrap_or_default();
            println!("created admin {email} of tenant {}", a.tenant);
            if let Some(p) = generated {
                println!("password: {p}");
                println!("(shown once; only its hash is stored)");
            }
            Ok(())
        }
        Some(Command::Numbers(NumbersCmd::Load { csv, region })) => {
            let text = std::fs::read_to_string(csv)
                .with_context(|| format!("reading {}", csv.display()))?;
            let app = open(&cfg).await?;
            let region = region.clone().unwrap_or_else(|| app.region.clone());
            match operator::load_numbers(&app, &region, &text).await {
                Ok(r) => {
                    println!(
                        "region {region}: {} added, {} already in the pool, {} duplicate line(s) ignored",
                        r.added, r.already_in_pool, r.duplicates_in_file
                    );
                    Ok(())
                }
                Err(LoadError::Rows(rows)) => {
                    for r in &rows {
                        eprintln!("line {}: {:?}: {}", r.line, r.value, r.error);
                    }
                    bail!(
                        "{} bad line(s) in {}; nothing was loaded",
                        rows.len(),
                        csv.display()
                    )
                }
                Err(LoadError::App(e)) => Err(e.into()),
            }
        }
        Some(Command::Numbers(NumbersCmd::Available { region, limit })) => {
            let app = open(&cfg).await?;
            let region = region.clone().unwrap_or_else(|| app.region.clone());
            let limit = (*limit).clamp(1, 1000);
            let (numbers, _) =
                store::repo::numbers::available(&*app.store, &region, limit, None).await?;
            let total = store::repo::numbers::count_available(&*app.store, &region).await?;
            for n in numbers {
                println!("{n}");
            }
            eprintln!("{total} free number(s) in region {region}");
            Ok(())
        }
        Some(Command::Holidays(h)) => holidays(&cfg, h).await,
        Some(Command::Apikey(ApiKeyCmd::Create {
            tenant,
            name,
            scopes,
        })) => {
            let app = open(&cfg).await?;
            let scopes: Vec<String> = if scopes.is_empty() {
                operator::SCOPES.iter().map(|s| (*s).to_owned()).collect()
            } else {
                scopes.clone()
            };
            let key = operator::create_api_key(&app, tenant, name, &scopes).await?;
            println!("{}", key.secret);
            eprintln!(
                "scopes: {} (shown once; only its hash is stored)",
                key.record.scopes.join(" ")
            );
            Ok(())
        }
    }
}

async fn holidays(cfg: &Config, h: &HolidaysArgs) -> anyhow::Result<()> {
    use domain::calendar::{Date, TimeZone};
    match &h.action {
        Some(HolidayAction::Add { date, name }) => {
            let d = Date::parse(date).map_err(|e| anyhow::anyhow!("--date {date:?}: {e}"))?;
            let name = domain::parse_name("holiday name", name)?;
            let app = open(cfg).await?;
            store::repo::hours::add_one_off(&*app.store, d, &name).await?;
            println!("added {d} {name}");
            Ok(())
        }
        Some(HolidayAction::Remove { date }) => {
            let d = Date::parse(date).map_err(|e| anyhow::anyhow!("--date {date:?}: {e}"))?;
            let app = open(cfg).await?;
            if store::repo::hours::remove_one_off(&*app.store, d).await? {
                println!("removed {d}");
                Ok(())
            } else {
                bail!("no one-off holiday on {d}")
            }
        }
        None => {
            let year = match h.year {
                Some(y) => y,
                None => TimeZone::seoul()
                    .to_local(store::now_epoch_seconds())
                    .map_or(2026, |l| l.date.year()),
            };
            if !(1900..=2100).contains(&year) {
                bail!("year {year} is outside 1900..=2100, where the lunar calendar is computed");
            }
            // One-off days come from the store; a running server holds it, so
            // fall back to the computed holidays with a warning.
            let one_offs = match open(cfg).await {
                Ok(app) => store::repo::hours::one_offs(&*app.store, year).await?,
                Err(e) => {
                    eprintln!("note: one-off holidays not included ({e:#})");
                    Vec::new()
                }
            };
            let list = domain::holidays::public_holidays_with(year, &one_offs);
            if h.json {
                let v: Vec<serde_json::Value> = list
                    .iter()
                    .map(|x| serde_json::json!({"date": x.date.to_string(), "name": x.name}))
                    .collect();
                println!("{}", serde_json::to_string(&v)?);
            } else {
                for x in list {
                    println!("{} {}", x.date, x.name);
                }
            }
            Ok(())
        }
    }
}

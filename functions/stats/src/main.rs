//! Lambda entry point of the statistics aggregator (SQS from the events
//! topic, call ends only).

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time()
        .init();
    let cfg = app::Config::from_env()?;
    let public_url = cfg.public_url.clone().unwrap_or_default();
    let app = app::App::open(&cfg, &public_url).await?;
    let aggregator = app::stats::Aggregator::new(app.store.clone());
    let aggregator = &aggregator;
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<stats::Input>| async move {
            Ok::<_, Error>(stats::handle(aggregator, ev.payload).await)
        },
    ))
    .await
}

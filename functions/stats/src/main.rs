//! Lambda entry point of the statistics aggregator (SQS from the events
//! topic, call ends only).

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = app::App::for_lambda().await?;
    let aggregator = app::stats::Aggregator::new(app.store.clone());
    let aggregator = &aggregator;
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<stats::Input>| async move {
            Ok::<_, Error>(stats::handle(aggregator, ev.payload).await)
        },
    ))
    .await
}

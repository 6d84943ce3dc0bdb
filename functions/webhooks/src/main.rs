//! Lambda entry point of the webhook sender (SQS from the events topic,
//! and a one-minute schedule).

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = app::App::for_lambda().await?;
    let app = &app;
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<webhooks::Input>| async move {
            Ok::<_, Error>(webhooks::handle(app, ev.payload).await)
        },
    ))
    .await
}

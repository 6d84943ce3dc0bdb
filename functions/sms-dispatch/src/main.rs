//! Lambda entry point of the SMS dispatcher (SQS event source).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = app::App::for_lambda().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(sms_dispatch::handle(app, ev.payload).await)
    }))
    .await
}

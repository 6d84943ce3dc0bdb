//! SNS and SES adapters against moto: what they send arrives.

use domain::{Email, PhoneNumber};
use messaging::aws::{SesMail, SnsSms};
use messaging::{Mailer as _, SmsSender as _};

#[tokio::test]
async fn sns_publishes_an_sms_to_the_number() {
    let moto = testkit::Moto::shared().expect("moto");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    let sms = SnsSms::new(aws_sdk_sns::Client::new(&conf));
    let from = PhoneNumber::parse("070-4000-0001").expect("from");
    let to = PhoneNumber::parse("010-2000-0009").expect("to");
    let id = sms
        .send(messaging::Outbound::sms(
            &from,
            &to,
            "[말톡오피스] 인증번호 123456",
            "test-1",
        ))
        .await
        .expect("published");
    assert!(!id.is_empty());
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto.endpoint()))
        .await
        .expect("moto data")
        .json()
        .await
        .expect("json");
    let text = data.to_string();
    assert!(
        text.contains("+821020000009"),
        "the SMS reached moto: {text:.300}"
    );
}

#[tokio::test]
async fn ses_sends_from_a_verified_address() {
    let moto = testkit::Moto::shared().expect("moto");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    let client = aws_sdk_sesv2::Client::new(&conf);
    client
        .create_email_identity()
        .email_identity("no-reply@office.example")
        .send()
        .await
        .expect("verify sender");
    let mail = SesMail::new(client, "no-reply@office.example");
    let to = Email::parse("kim@dial070.co.kr").expect("to");
    let id = mail
        .send_mail(&to, "이메일 인증", "인증번호: 654321")
        .await
        .expect("sent");
    assert!(!id.is_empty());
}

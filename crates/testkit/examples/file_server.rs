//! Serves one artifact from memory, downloads it twice (the second time
//! from byte 4), then again through a proxy that answers 503 first, and
//! prints what the server saw.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), reqwest::Error> {
    let server = testkit::http::FileServer::start();
    server.put("plugins/bq2bq.tar.gz", b"0123456789".to_vec());
    let url = format!("{}/plugins/bq2bq.tar.gz", server.url());
    let client = testkit::http::client();

    let whole = client.get(&url).send().await?.bytes().await?;
    let tail = client
        .get(&url)
        .header("range", "bytes=4-")
        .send()
        .await?
        .bytes()
        .await?;
    println!("whole: {whole:?}, from byte 4: {tail:?}");

    let faults = vec![testkit::tcp::Fault::Status503 { retry_after: 1 }];
    let proxy = testkit::tcp::FaultProxy::start(server.addr(), faults);
    let via = format!("http://{}/plugins/bq2bq.tar.gz", proxy.endpoint());
    let first = client.get(&via).send().await?.status();
    let second = client.get(&via).send().await?.status();
    println!("through the proxy: {first}, then {second}");

    for seen in server.requests() {
        println!(
            "{} {} range={:?}",
            seen.method,
            seen.path,
            seen.header("range")
        );
    }
    println!("bodies served: {}", server.gets());
    Ok(())
}

//! Mail over real HTTP: the native host's outbound client ([`HyperClient`]) and the
//! [`WebhookMailer`] against a one-shot HTTP sink on 127.0.0.1 that records what arrives.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

use portcullis::mail::{self, Mail, MailKind, Mailer, WebhookMailer};
use portcullis::net::native::HyperClient;
use portcullis::net::HttpClient;

/// One HTTP request as the sink saw it.
#[derive(Debug)]
struct Captured {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Accepts one connection, reads one request (headers, then `content-length` bytes), answers
/// with `status` and closes.
fn sink(status: u16) -> (SocketAddr, JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut raw = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "connection closed before the end of the headers");
            raw.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap().to_owned();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = raw[head_end + 4..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "connection closed before the end of the body");
            body.extend_from_slice(&chunk[..n]);
        }
        let reason = if status < 300 { "OK" } else { "Error" };
        write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
        )
        .unwrap();
        stream.flush().unwrap();
        Captured {
            request_line,
            headers,
            body,
        }
    });
    (addr, handle)
}

/// Runs `future` as the native server runs requests: a current-thread runtime with a `LocalSet`.
fn run_local<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, future)
}

fn verification_mail() -> Mail {
    mail::Template::render(
        MailKind::VerifyEmail,
        "ada@example.com",
        "http://127.0.0.1:3000/api/auth/verify-email?token=eyJ.abc&callbackURL=%2F",
        "eyJ.abc",
        "Acme",
        &Default::default(),
    )
}

#[test]
fn webhook_mailer_posts_the_mail_as_json_through_the_native_client() {
    let (addr, captured) = sink(200);
    let mailer = WebhookMailer {
        url: format!("http://{addr}/hooks/mail?source=portcullis"),
    };
    let client = HyperClient::new().unwrap();
    let mail = verification_mail();
    run_local(mailer.send(&mail, &client)).unwrap();

    let request = captured.join().unwrap();
    assert_eq!(
        request.request_line,
        "POST /hooks/mail?source=portcullis HTTP/1.1"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("host"), Some(addr.to_string().as_str()));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "kind": "verify-email",
            "to": "ada@example.com",
            "subject": "Verify your email address",
            "text": mail.text,
            "url": "http://127.0.0.1:3000/api/auth/verify-email?token=eyJ.abc&callbackURL=%2F",
            "token": "eyJ.abc",
            "email": "ada@example.com",
        })
    );
    assert!(mail.text.contains(&mail.url));
}

#[test]
fn webhook_mailer_reports_a_non_2xx_answer_as_an_error_with_its_status() {
    let (addr, captured) = sink(500);
    let mailer = WebhookMailer {
        url: format!("http://{addr}/mail"),
    };
    let client = HyperClient::new().unwrap();
    let error = run_local(mailer.send(&verification_mail(), &client)).unwrap_err();
    assert!(error.contains("500"), "{error}");
    captured.join().unwrap();
}

#[test]
fn native_client_reports_a_refused_connection_as_a_transport_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = HyperClient::new().unwrap();
    let request = http::Request::post(format!("http://127.0.0.1:{port}/mail"))
        .body(bytes::Bytes::from_static(b"{}"))
        .unwrap();
    let error = run_local(client.send(request)).unwrap_err();
    assert!(error.to_lowercase().contains("connect"), "{error}");
}

#[test]
fn native_client_gives_up_when_the_server_never_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts, reads, never answers; ends when the client hangs up.
    let silent = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    });
    let client = HyperClient::with_timeout(Duration::from_millis(300)).unwrap();
    let request = http::Request::get(format!("http://{addr}/"))
        .body(bytes::Bytes::new())
        .unwrap();
    let started = std::time::Instant::now();
    let error = run_local(client.send(request)).unwrap_err();
    assert!(error.contains("no answer"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    silent.join().unwrap();
}

#[test]
fn native_client_speaks_tls_to_https_urls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Reads the first bytes the client sends, then hangs up without a handshake.
    let first_bytes = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buffer = [0u8; 5];
        stream.read_exact(&mut buffer).unwrap();
        buffer
    });
    let client = HyperClient::with_timeout(Duration::from_secs(5)).unwrap();
    let request = http::Request::post(format!("https://{addr}/emails"))
        .body(bytes::Bytes::from_static(b"{}"))
        .unwrap();
    assert!(run_local(client.send(request)).is_err());
    let record = first_bytes.join().unwrap();
    // A TLS handshake record (0x16), protocol 3.x: a ClientHello, not plain HTTP.
    assert_eq!(record[0], 0x16, "{record:?}");
    assert_eq!(record[1], 0x03, "{record:?}");
}

#[test]
fn native_client_serves_several_threads_each_on_its_own_runtime() {
    let handles: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(|| {
                let (addr, captured) = sink(204);
                let client = HyperClient::new().unwrap();
                let mailer = WebhookMailer {
                    url: format!("http://{addr}/mail"),
                };
                run_local(mailer.send(&verification_mail(), &client)).unwrap();
                captured.join().unwrap().request_line
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), "POST /mail HTTP/1.1");
    }
}

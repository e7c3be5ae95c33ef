//! The Hrana test server of `tests/common/hrana.rs` as a process, for the client suite with
//! `LIBSQL=1` (scripts/client-suite.sh): `hrana_server <port> <sqlite file> [token]`. Prints its
//! URL once it listens, then serves until killed.

#[allow(dead_code)]
#[path = "../tests/common/hrana.rs"]
mod hrana;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(port), Some(database)) = (args.first(), args.get(1)) else {
        eprintln!("usage: hrana_server <port> <sqlite file> [token]");
        std::process::exit(2);
    };
    let listener = std::net::TcpListener::bind(format!("127.0.0.1:{port}")).unwrap_or_else(|e| {
        eprintln!("hrana_server: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    let server = hrana::Hrana::start_on(listener, database.into(), args.get(2).map(String::as_str));
    println!("{}", server.url);
    loop {
        std::thread::park();
    }
}

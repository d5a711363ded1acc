//! A tiny OAI "server" that serves fixed pages, to prove the checkers on known documents
//! before trusting them on the real server. Standard library only, loopback only.
//!
//! Any request without `resumptionToken` gets the first page, whatever its verb (a ListRecords
//! page also serves as a ListIdentifiers page: harvesters look for `header` anywhere). A request
//! with a known token gets that page; an unknown token gets a `badResumptionToken` error.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const MAX_REQUEST_HEAD: usize = 64 * 1024;

const BAD_TOKEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">"#,
    "<responseDate>2024-09-20T10:00:00Z</responseDate><request>http://127.0.0.1/oai</request>",
    r#"<error code="badResumptionToken">unknown token</error></OAI-PMH>"#
);

pub struct StaticOai {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticOai {
    /// Serves `first` for requests without a token and `pages` by their exact raw token.
    pub fn start(first: Vec<u8>, pages: Vec<(String, Vec<u8>)>) -> Self {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(listener) => listener,
            Err(e) => panic!("cannot bind the static OAI server to a loopback port: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => panic!("cannot read the static OAI server's address: {e}"),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    // A broken connection only fails the client that made it.
                    let _ = answer(stream, &first, &pages);
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// The endpoint URL, `http://127.0.0.1:PORT/oai`.
    pub fn base_url(&self) -> String {
        format!("http://{}/oai", self.addr)
    }
}

impl Drop for StaticOai {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The raw value of `resumptionToken` in the request line's query, if any. Raw on purpose: the
/// ECO-style harvester pastes tokens without encoding, and fixture tokens are URL-safe.
fn token_of(request_line: &str) -> Option<&str> {
    let target = request_line.split(' ').nth(1)?;
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("resumptionToken="))
}

fn answer(mut stream: TcpStream, first: &[u8], pages: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let head = read_head(&mut stream)?;
    let request_line = head.lines().next().unwrap_or_default();
    let body: &[u8] = match token_of(request_line) {
        None => first,
        Some(token) => pages
            .iter()
            .find(|(known, _)| known == token)
            .map_or(BAD_TOKEN.as_bytes(), |(_, page)| page.as_slice()),
    };
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url_path: &str, server: &StaticOai) -> String {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        write!(stream, "GET {url_path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn serves_pages_by_raw_token() {
        let server = StaticOai::start(
            b"<first/>".to_vec(),
            vec![("t.2".into(), b"<second/>".to_vec())],
        );
        assert!(get("/oai?verb=ListRecords&metadataPrefix=oai_lom", &server).ends_with("<first/>"));
        assert!(get(
            "/oai?verb=ListRecords&metadataPrefix=oai_lom&resumptionToken=t.2",
            &server
        )
        .ends_with("<second/>"));
        assert!(get("/oai?verb=ListRecords&resumptionToken=nope", &server)
            .contains(r#"code="badResumptionToken""#));
    }

    #[test]
    fn token_of_reads_only_the_query() {
        assert_eq!(
            token_of("GET /oai?verb=X&resumptionToken=abc HTTP/1.1"),
            Some("abc")
        );
        assert_eq!(token_of("GET /oai?verb=X HTTP/1.1"), None);
        assert_eq!(token_of("GET /resumptionToken=abc HTTP/1.1"), None);
    }
}

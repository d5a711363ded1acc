//! Who may read learners' figures from the ecoapi (`users/*`). ECO's portal sends no
//! credentials, so the deployment chooses: a bearer token (if ECO's client can be configured
//! to send one), the source networks of ECO's servers, or `open`. Never open by default: ECO
//! user ids are MongoDB ObjectIds, whose first bytes are a timestamp and a counter, partly
//! guessable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::secret::BearerToken;

#[derive(Clone, Debug)]
pub enum EcoapiAccess {
    /// No mode chosen: `users/*` answers 503 naming the setting.
    Closed,
    /// `Authorization: Bearer <POKECO_ECOAPI_TOKEN>`.
    Token(BearerToken),
    /// Requests whose source address (the connection's, or API Gateway's `sourceIp`; never a
    /// client header) lies in one of `POKECO_ECOAPI_CIDRS`.
    Networks(Vec<IpNet>),
    /// Anyone: chosen explicitly with `POKECO_ECOAPI_ACCESS=open`.
    Open,
}

/// Why a request is not admitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("learner data is closed: set POKECO_ECOAPI_ACCESS to token, cidr or open")]
    Closed,
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    NoToken,
    #[error("the request's source address is not in POKECO_ECOAPI_CIDRS")]
    Network,
}

impl EcoapiAccess {
    /// This machine only: what `pokeco serve` answers learners' figures to when no mode is set.
    pub fn loopback() -> Self {
        Self::Networks(vec![
            IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8)),
            IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::LOCALHOST, 128)),
        ])
    }

    /// Admits a request by what it presents: its bearer token and its source address.
    ///
    /// # Errors
    /// The [`Refused`] reason.
    pub fn admit(&self, bearer: Option<&str>, source: Option<IpAddr>) -> Result<(), Refused> {
        match self {
            Self::Closed => Err(Refused::Closed),
            Self::Open => Ok(()),
            Self::Token(token) => bearer
                .is_some_and(|b| token.matches(b))
                .then_some(())
                .ok_or(Refused::NoToken),
            Self::Networks(nets) => source
                .map(canonical)
                .is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
                .then_some(())
                .ok_or(Refused::Network),
        }
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `POKECO_ECOAPI_CIDRS`: networks separated by commas; a bare address is a /32 or /128.
///
/// # Errors
/// The entry that is neither.
pub fn parse_networks(value: &str) -> Result<Vec<IpNet>, String> {
    let nets = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a network (a.b.c.d/n) or an address"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if nets.is_empty() {
        return Err("no network given".into());
    }
    Ok(nets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn each_mode_admits_what_it_names() {
        let token = BearerToken::new("a-token-of-enough-bytes").unwrap();
        let by_token = EcoapiAccess::Token(token);
        assert_eq!(
            by_token.admit(Some("a-token-of-enough-bytes"), None),
            Ok(())
        );
        assert_eq!(
            by_token.admit(Some("wrong"), ip("10.0.0.1")),
            Err(Refused::NoToken)
        );
        assert_eq!(by_token.admit(None, None), Err(Refused::NoToken));

        let by_net = EcoapiAccess::Networks(parse_networks("10.1.0.0/16, 192.0.2.7").unwrap());
        assert_eq!(by_net.admit(None, ip("10.1.200.3")), Ok(()));
        assert_eq!(by_net.admit(None, ip("::ffff:192.0.2.7")), Ok(()));
        assert_eq!(by_net.admit(None, ip("192.0.2.8")), Err(Refused::Network));
        assert_eq!(by_net.admit(None, None), Err(Refused::Network));

        assert_eq!(EcoapiAccess::Open.admit(None, None), Ok(()));
        let local = EcoapiAccess::loopback();
        assert_eq!(local.admit(None, ip("127.0.0.1")), Ok(()));
        assert_eq!(local.admit(None, ip("::1")), Ok(()));
        assert_eq!(local.admit(None, ip("192.0.2.1")), Err(Refused::Network));
        assert_eq!(EcoapiAccess::Closed.admit(None, None), Err(Refused::Closed));
    }

    #[test]
    fn networks_are_checked_when_read() {
        assert!(parse_networks("10.0.0.0/33").is_err());
        assert!(parse_networks("eco.example.org").is_err());
        assert!(parse_networks(" , ").is_err());
        assert_eq!(parse_networks("2001:db8::/32").unwrap().len(), 1);
    }
}

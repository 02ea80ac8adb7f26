//! Which addresses the mesh dials, remembers and announces.
//!
//! Addresses reach the mesh from strangers (identify, mDNS) and from the chain, where any
//! registered neuron can publish eight of them. Dialling them as they come would let anyone
//! point every validator at loopback services, cloud metadata endpoints or a victim's LAN
//! (blind SSRF, reflection), and would announce a home network's private ranges to the world.
//! So only global addresses pass unless the node is configured for a local network
//! (`MeshConfig::allow_private_addrs`, set by `MeshConfig::local` and by dev setups).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libp2p::{multiaddr::Protocol, Multiaddr};

/// The IP an address reaches, if it names one (DNS names do not).
pub(crate) fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

/// What connection caps count per "one address": an IPv4 address, or an IPv6 /64 (one host
/// usually owns a whole /64, so counting single IPv6 addresses would count nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum IpKey {
    V4(Ipv4Addr),
    V6Prefix([u16; 4]),
}

impl IpKey {
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    Self::V6Prefix([a, b, c, d])
                }
            },
        }
    }
}

/// Whether the mesh may dial, remember or announce `addr`. Never: unspecified, multicast,
/// broadcast, link-local (no route beyond the link; `169.254.169.254` is the cloud metadata
/// service) and documentation ranges. Loopback, private, shared (CGNAT) and unique-local
/// ranges only with `allow_private`.
///
/// Never addresses without an IP (`/dns4`, `/dns6`, `/dns`, `/dnsaddr`): the swarm has no DNS
/// transport (TCP and QUIC take IP addresses only), so dialling one can only fail, and
/// remembering one would take the place of an address that works. Refusing them at the door
/// says so at once (`MeshError::AddressRefused`); a name resolved elsewhere could also point
/// at a range refused here.
pub(crate) fn is_acceptable(addr: &Multiaddr, allow_private: bool) -> bool {
    match ip_of(addr) {
        None => false,
        Some(ip) => match classify(ip) {
            Class::Global => true,
            Class::Private => allow_private,
            Class::Never => false,
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Global,
    /// Reachable only on this host or a local network.
    Private,
    /// Never a peer's address.
    Never,
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, ..] = ip.octets();
    let documentation = is_doc_v4(ip);
    if ip.is_unspecified()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || documentation
        // 0.0.0.0/8 ("this network") and 240.0.0.0/4 (reserved)
        || a == 0
        || a >= 240
    {
        Class::Never
    } else if ip.is_loopback()
        || ip.is_private()
        // 100.64.0.0/10, carrier-grade NAT
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking
        || (a == 198 && (b == 18 || b == 19))
    {
        Class::Private
    } else {
        Class::Global
    }
}

fn is_doc_v4(ip: Ipv4Addr) -> bool {
    matches!(
        ip.octets(),
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]
    )
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let [first, second, ..] = ip.segments();
    if ip.is_unspecified()
        || ip.is_multicast()
        // fe80::/10, link-local
        || (first & 0xffc0) == 0xfe80
        // 2001:db8::/32, documentation
        || (first == 0x2001 && second == 0x0db8)
    {
        Class::Never
    } else if ip.is_loopback()
        // fc00::/7, unique local
        || (first & 0xfe00) == 0xfc00
    {
        Class::Private
    } else {
        Class::Global
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(addr: &str, allow_private: bool) -> bool {
        is_acceptable(&addr.parse().unwrap(), allow_private)
    }

    #[test]
    fn never_dialled() {
        for addr in [
            "/ip4/0.0.0.0/tcp/1",
            "/ip4/169.254.169.254/tcp/80",
            "/ip4/224.0.0.251/udp/5353",
            "/ip4/255.255.255.255/tcp/1",
            "/ip4/192.0.2.1/tcp/1",
            "/ip6/::/tcp/1",
            "/ip6/fe80::1/tcp/1",
            "/ip6/ff02::1/udp/1",
            "/ip6/2001:db8::1/tcp/1",
            "/ip6/::ffff:169.254.1.1/tcp/1",
            // No DNS transport: a name could never be dialled.
            "/dns4/miner.example.org/tcp/30444",
            "/dns6/miner.example.org/udp/30444/quic-v1",
            "/dns/localhost/tcp/1",
            "/dnsaddr/bootstrap.example.org",
        ] {
            assert!(!ok(addr, false), "{addr}");
            assert!(!ok(addr, true), "{addr} (private allowed)");
        }
    }

    #[test]
    fn private_only_when_allowed() {
        for addr in [
            "/ip4/127.0.0.1/tcp/9944",
            "/ip4/10.0.0.2/tcp/1",
            "/ip4/172.16.5.4/udp/1/quic-v1",
            "/ip4/192.168.1.20/tcp/1",
            "/ip4/100.64.0.1/tcp/1",
            "/ip6/::1/tcp/1",
            "/ip6/fd00::1/tcp/1",
            "/ip6/::ffff:10.0.0.1/tcp/1",
        ] {
            assert!(!ok(addr, false), "{addr}");
            assert!(ok(addr, true), "{addr} (private allowed)");
        }
    }

    #[test]
    fn global_always() {
        for addr in [
            "/ip4/8.8.8.8/tcp/30444",
            "/ip4/100.128.0.1/tcp/1",
            "/ip6/2a01:4f8::1/udp/1/quic-v1",
        ] {
            assert!(ok(addr, false), "{addr}");
            assert!(ok(addr, true), "{addr}");
        }
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a = IpKey::of("2a01:4f8:1:2::1".parse().unwrap());
        let b = IpKey::of("2a01:4f8:1:2:ffff::9".parse().unwrap());
        let c = IpKey::of("2a01:4f8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            IpKey::of("::ffff:1.2.3.4".parse().unwrap()),
            IpKey::of("1.2.3.4".parse().unwrap())
        );
    }
}

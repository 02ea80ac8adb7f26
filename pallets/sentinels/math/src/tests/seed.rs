//! Seeds: known answers, domain separation and the RANDAO look-ahead.

use crate::{audit_seed, committee_seed, mix_next, seed::Stream, RandaoMix, RandomnessSource};

#[test]
fn seeds_are_the_documented_hashes() {
    let mix = [1u8; 32];
    let salt = [2u8; 32];
    let mut buf = mix.to_vec();
    buf.extend_from_slice(&salt);
    assert_eq!(mix_next(&mix, &salt), sp_crypto_hashing::blake2_256(&buf));

    let mut buf = b"mindos/sentinel".to_vec();
    buf.extend_from_slice(&[3, 0]);
    buf.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0]);
    buf.extend_from_slice(&mix);
    assert_eq!(
        committee_seed(3, 9, &mix),
        sp_crypto_hashing::blake2_256(&buf)
    );

    // Every input matters, and the audit seed differs from the committee seed.
    let s = committee_seed(3, 9, &mix);
    assert_ne!(s, committee_seed(4, 9, &mix));
    assert_ne!(s, committee_seed(3, 10, &mix));
    assert_ne!(s, committee_seed(3, 9, &salt));
    assert_ne!(audit_seed(&s), s);
    // The order of reveals matters.
    assert_ne!(
        mix_next(&mix_next(&mix, &salt), &mix),
        mix_next(&mix_next(&mix, &mix), &salt)
    );
}

#[test]
fn randao_seeds_only_two_epochs_ahead() {
    let source = RandaoMix {
        mix: [5u8; 32],
        mix_epoch: 10,
    };
    assert_eq!(
        source.committee_seed(1, 12),
        Some(committee_seed(1, 12, &[5u8; 32]))
    );
    assert_eq!(source.committee_seed(1, 11), None);
    assert_eq!(source.committee_seed(1, 13), None);
    let end = RandaoMix {
        mix: [5u8; 32],
        mix_epoch: u64::MAX,
    };
    assert_eq!(end.committee_seed(1, 1), None);
}

#[test]
fn stream_words_and_reduction() {
    let mut s = Stream::new(&[0u8; 32]);
    let mut block = [0u8; 32].to_vec();
    block.extend_from_slice(&0u64.to_le_bytes());
    let h = sp_crypto_hashing::blake2_256(&block);
    let first = u64::from_le_bytes(h[..8].try_into().unwrap());
    assert_eq!(s.next_u64(), first);
    for _ in 0..3 {
        s.next_u64();
    }
    assert_eq!(s.hashes(), 1);
    s.next_u64();
    assert_eq!(s.hashes(), 2);
    for bound in [0u64, 1, 2, 7, 4096, u64::MAX] {
        for _ in 0..50 {
            let x = s.below(bound);
            assert!(x < bound.max(1));
        }
    }
}

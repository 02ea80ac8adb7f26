//! A property test over random histories of stake, unbonding, slashes and rewards.

use super::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Add(u8, u8, u64),
    Remove(u8, u8, u64),
    Withdraw(u8),
    Slash(u8, u32),
    Reward(u8, u64),
    Claim(u8, u8),
    Advance(u64),
}

const COLDKEYS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, POOR];
const HOTKEYS: [AccountId; 3] = [HOT_A, HOT_B, HOT_C];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..3, 0u64..3_000).prop_map(|(c, h, a)| Op::Add(c, h, a)),
        (0u8..5, 0u8..3, 0u64..3_000).prop_map(|(c, h, a)| Op::Remove(c, h, a)),
        (0u8..5).prop_map(Op::Withdraw),
        (0u8..3, 0u32..=100).prop_map(|(h, p)| Op::Slash(h, p)),
        (0u8..3, 0u64..10_000).prop_map(|(h, a)| Op::Reward(h, a)),
        (0u8..5, 0u8..3).prop_map(|(c, h)| Op::Claim(c, h)),
        (1u64..15).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn books_balance_and_only_slashes_burn_and_rewards_never_overpay(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        ExtBuilder::default().build_and_execute(|| {
            setup();
            let start = Balances::total_issuance();
            let mut burned = 0;
            // Rewarded so far, and the most rounding may keep back: one unit per payment
            // to a nominator, one per reward.
            let mut rewarded = 0;
            for op in ops {
                match op {
                    Op::Add(c, h, a) => {
                        let _ = Stake::add_stake(
                            RuntimeOrigin::signed(COLDKEYS[c as usize]),
                            HOTKEYS[h as usize],
                            a,
                        );
                    }
                    Op::Remove(c, h, a) => {
                        let _ = Stake::remove_stake(
                            RuntimeOrigin::signed(COLDKEYS[c as usize]),
                            HOTKEYS[h as usize],
                            a,
                        );
                    }
                    Op::Withdraw(c) => {
                        let _ = Stake::withdraw_unbonded(RuntimeOrigin::signed(
                            COLDKEYS[c as usize],
                        ));
                    }
                    Op::Slash(h, p) => {
                        burned += <Stake as StakeInfo<_, _>>::slash(
                            &HOTKEYS[h as usize],
                            Perbill::from_percent(p),
                        );
                    }
                    Op::Reward(h, a) => {
                        let unpaid =
                            <Stake as StakeInfo<_, _>>::reward(&HOTKEYS[h as usize], a);
                        assert_eq!(unpaid, 0, "registered hotkeys always have an owner");
                        rewarded += a;
                    }
                    Op::Claim(c, h) => {
                        let _ = Stake::claim_rewards(
                            RuntimeOrigin::signed(COLDKEYS[c as usize]),
                            HOTKEYS[h as usize],
                        );
                    }
                    Op::Advance(n) => run_to(System::block_number() + n),
                }
                assert_invariants();
                // Minting never exceeds what was rewarded; slashes burn exactly.
                let issuance = Balances::total_issuance();
                assert!(issuance + burned <= start + rewarded, "rewards overpaid");
            }
            // Everyone claims: all that was rewarded is paid, except what slashes cut from
            // unclaimed dividends and per-payment rounding (checked loosely: never more).
            for c in COLDKEYS {
                for h in HOTKEYS {
                    let _ = Stake::claim_rewards(RuntimeOrigin::signed(c), h);
                }
            }
            assert!(Balances::total_issuance() + burned <= start + rewarded);
        });
    }
}

//! The burn price: rising with each registration, decaying to the floor.

use super::*;

#[test]
fn the_price_rises_by_the_factor_with_each_registration() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(16, 10);
        let mut expected = 100;
        for (i, hotkey) in (200..206).enumerate() {
            assert_eq!(
                Neurons::burn_price(netuid),
                Some(expected),
                "registration {i}"
            );
            register(ALICE, netuid, hotkey);
            assert_eq!(
                BurnOf::<Test>::get(netuid).map(|b| (b.price, b.updated_at)),
                Some((expected * 2, 1))
            );
            expected *= 2;
        }
    });
}

#[test]
fn the_price_decays_toward_the_floor_with_the_half_life() {
    ExtBuilder::default().build_and_execute(|| {
        BurnFloor::set(1_000);
        let netuid = create_subnet(16, 10);
        register(ALICE, netuid, HOT_A); // pays 1 000 at block 1; the price becomes 2 000
        let price_after = |elapsed: u64| {
            go_to(1 + elapsed);
            Neurons::burn_price(netuid).unwrap()
        };
        assert_eq!(price_after(0), 2_000);
        assert_eq!(price_after(25), 1_875); // 1 000 + 1 000 · (1 − 25/200)
        assert_eq!(price_after(50), 1_750);
        assert_eq!(price_after(100), 1_500); // one half-life
        assert_eq!(price_after(150), 1_375);
        assert_eq!(price_after(200), 1_250); // two half-lives
        assert_eq!(price_after(10_000), 1_000, "never below the floor");

        // A registration pays the decayed price and doubles that.
        go_to(201);
        let issuance = Balances::total_issuance();
        register(BOB, netuid, HOT_B);
        assert_eq!(Balances::total_issuance(), issuance - 1_250);
        assert_eq!(
            BurnOf::<Test>::get(netuid).map(|b| (b.price, b.updated_at)),
            Some((2_500, 201))
        );
    });
}

#[test]
fn a_raised_floor_binds_at_once() {
    ExtBuilder::default().build_and_execute(|| {
        let netuid = create_subnet(16, 10);
        register(ALICE, netuid, HOT_A); // price 200
        BurnFloor::set(500);
        assert_eq!(Neurons::burn_price(netuid), Some(500));
        assert_eq!(Neurons::burn_price(NetUid(9)), None);
    });
}

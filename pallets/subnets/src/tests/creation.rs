//! Issue 17, H7: creating a subnet burns a fee that dissolving never refunds, and creations
//! are rate-limited network-wide, so the `u16` id space cannot be used up cheaply or quickly.

use super::*;

#[test]
fn dissolving_keeps_the_creation_burn() {
    // Before the fix the deposit was the only cost and came back whole: a create and
    // dissolve loop cost fees only (this test saw `free_balance == ENDOWMENT`).
    ExtBuilder::default().build_and_execute(|| {
        let issuance = Balances::total_issuance();
        let netuid = create(ALICE);
        assert_eq!(held(ALICE), 100);
        assert_eq!(
            Balances::free_balance(ALICE),
            ENDOWMENT - 100 - CREATION_BURN
        );
        assert_eq!(Balances::total_issuance(), issuance - CREATION_BURN);
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(ALICE),
            netuid
        ));
        assert_eq!(held(ALICE), 0);
        assert_eq!(Balances::free_balance(ALICE), ENDOWMENT - CREATION_BURN);
        assert_eq!(Balances::total_issuance(), issuance - CREATION_BURN);
    });
}

#[test]
fn a_second_creation_within_the_interval_is_refused_and_allowed_after() {
    // Before the fix any number of subnets could be created in one block (this test saw the
    // second creation go through).
    ExtBuilder::default().build_and_execute(|| {
        let first = create(ALICE);
        let created_at = System::block_number();
        assert_eq!(LastSubnetCreatedAt::<Test>::get(), Some(created_at));
        let second = || {
            Subnets::create_subnet(
                RuntimeOrigin::signed(BOB),
                name("second"),
                task(),
                hyperparameters(),
                Visibility::Public,
            )
        };
        assert_noop!(second(), Error::<Test>::SubnetCreationRateLimited);
        // Dissolving does not reopen the slot either.
        assert_ok!(Subnets::dissolve_subnet(
            RuntimeOrigin::signed(ALICE),
            first
        ));
        System::set_block_number(created_at + CREATION_INTERVAL - 1);
        assert_noop!(second(), Error::<Test>::SubnetCreationRateLimited);
        System::set_block_number(created_at + CREATION_INTERVAL);
        assert_eq!(
            Subnets::next_creation_allowed_at(),
            created_at + CREATION_INTERVAL
        );
        assert_ok!(second());
        assert_eq!(
            LastSubnetCreatedAt::<Test>::get(),
            Some(created_at + CREATION_INTERVAL)
        );
    });
}

#[test]
fn a_creator_who_cannot_pay_burn_and_deposit_is_refused() {
    ExtBuilder::default().build_and_execute(|| {
        // Enough for the deposit (100) but not for the deposit and the burn, keeping the
        // account alive.
        <Balances as Mutate<_>>::set_balance(&POOR, 100 + CREATION_BURN);
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(POOR),
                name("x"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::InsufficientBalanceForDeposit
        );
    });
}

#[test]
fn genesis_subnets_do_not_start_the_rate_limit() {
    ExtBuilder::default()
        .genesis_subnets(vec![(
            ALICE,
            b"embeddings".to_vec(),
            task(),
            hyperparameters(),
        )])
        .build_and_execute(|| {
            assert_eq!(LastSubnetCreatedAt::<Test>::get(), None);
            assert_eq!(create(BOB), NetUid(1));
            assert_eq!(System::block_number(), 1);
        });
}

#[test]
fn ids_are_never_reused_and_run_out_at_u16_max() {
    ExtBuilder::default().build_and_execute(|| {
        NextNetUid::<Test>::put(NetUid(u16::MAX));
        assert_noop!(
            Subnets::create_subnet(
                RuntimeOrigin::signed(ALICE),
                name("last"),
                task(),
                hyperparameters(),
                Visibility::Public
            ),
            Error::<Test>::NetUidsExhausted
        );
    });
}

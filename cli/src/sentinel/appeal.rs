//! `mindos sentinel appeal|unquarantine`: the sentinels pallet's calls a miner's owner
//! signs, checked against the best block before signing as the pallet checks them.

use anyhow::bail;
use mindos_chain_client::runtime::{self, runtime_types::mindos_primitives::NetUid as ChainNetUid};
use mindos_chain_client::ChainError;
use mindos_primitives::NetUid;
use serde_json::json;
use subxt::{rpcs::rpc_params, utils::AccountId32};

use super::{conviction, offence_name, Conviction, Quarantine};
use crate::{
    address::{parse_account, to_ss58},
    amount::format_mind,
    wallet::{mind_json, send_paid, unlock, Context},
};

/// The verdict of `case` at `at`, if the pallet still keeps it.
async fn judgment(
    at: &mindos_chain_client::neuron::AtBlock,
    case: u64,
) -> anyhow::Result<Option<Conviction>> {
    let value = at
        .storage()
        .try_fetch(runtime::storage().sentinels().judgments(), (case,))
        .await
        .map_err(ChainError::from_subxt)?;
    Ok(value
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?
        .map(|j| conviction(case, j)))
}

/// What the chain's `appeal` checks besides the verdict itself, read before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealContext {
    /// Whether the conviction's subnet is still live (a dissolved one's convictions wait to
    /// be dropped).
    pub subnet_live: bool,
    /// The coldkey that owns the convicted hotkey now.
    pub owner: Option<AccountId32>,
    /// The subnet's sentinel epoch now.
    pub epoch: u64,
    /// Its open audits, and how many it may have.
    pub open_audits: (u32, u32),
}

/// Refuses (with what to do instead) an appeal of `conviction` by `coldkey` (wallet
/// `wallet`) that the chain would refuse: the checks of the pallet's `do_appeal`, in its
/// order, but for the audit committee's draw and the deposit (checked with the fee).
pub fn check_appeal(
    conviction: &Conviction,
    context: &AppealContext,
    coldkey: &AccountId32,
    wallet: &str,
) -> anyhow::Result<()> {
    let case = conviction.case;
    if !context.subnet_live {
        bail!(
            "subnet {} of case {case} has been dissolved: its convictions are dropped with \
             their slashes, there is nothing to appeal. Nothing was sent",
            conviction.netuid
        );
    }
    if !conviction.convicted {
        bail!(
            "case {case} dismissed the accused (its verdict is kept while an audit re-judges \
             the split vote): only a conviction can be appealed. Nothing was sent"
        );
    }
    match &context.owner {
        Some(owner) if owner == coldkey => {}
        Some(owner) => bail!(
            "the hotkey convicted in case {case}, {}, is owned by {}, not by wallet \
             `{wallet}`: only its owner may appeal. Nothing was sent",
            to_ss58(&conviction.accused),
            to_ss58(owner)
        ),
        None => bail!(
            "the hotkey convicted in case {case}, {}, has no owner on chain: no wallet can \
             appeal. Nothing was sent",
            to_ss58(&conviction.accused)
        ),
    }
    if context.epoch >= conviction.due_epoch {
        bail!(
            "the appeal window of case {case} is over: appeals are taken before sentinel epoch \
             {} (its slash falls due then) and subnet {} is in epoch {}. Nothing was sent",
            conviction.due_epoch,
            conviction.netuid,
            context.epoch
        );
    }
    if conviction.audited {
        bail!(
            "case {case} has been audited already (at most one audit per verdict): see \
             `mindos sentinel cases {}`. Nothing was sent",
            conviction.netuid
        );
    }
    let (open, max) = context.open_audits;
    if open >= max {
        bail!(
            "subnet {} has {open} open audits, its most: try again once one closes (the \
             window is open until sentinel epoch {}). Nothing was sent",
            conviction.netuid,
            conviction.due_epoch
        );
    }
    Ok(())
}

pub(super) async fn appeal(cx: &Context<'_>, case: u64, wallet_name: &str) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let client = cx.network.connect().await?;
    let at = client.at_best().await?;
    let Some(conviction) = judgment(&at, case).await? else {
        bail!(
            "no verdict with case id {case} awaits its slash: it is unknown, still being voted \
             on (a case is appealable once convicted), or settled. `mindos sentinel cases` \
             lists the appealable convictions. Nothing was sent"
        );
    };
    let netuid = NetUid(conviction.netuid);
    let subnet_live = at
        .storage()
        .try_fetch(
            runtime::storage().subnets().subnet_info_of(),
            (ChainNetUid(netuid.0),),
        )
        .await
        .map_err(ChainError::from_subxt)?
        .is_some();
    let open_audits = at
        .storage()
        .try_fetch(
            runtime::storage().sentinels().open_audits(),
            (ChainNetUid(netuid.0),),
        )
        .await
        .map_err(ChainError::from_subxt)?
        .map(|v| v.decode().map_err(ChainError::from_subxt))
        .transpose()?
        .map_or(0, |audits| audits.0.len());
    let max_audits = at
        .constants()
        .entry(
            runtime::constants()
                .sentinels()
                .max_open_audits_per_subnet(),
        )
        .map_err(ChainError::from_subxt)?;
    let context = AppealContext {
        subnet_live,
        owner: client.hotkey_owner(&at, &conviction.accused).await?,
        epoch: client.sentinels().subnet_epoch(&at, netuid).await?,
        open_audits: (u32::try_from(open_audits).unwrap_or(u32::MAX), max_audits),
    };
    check_appeal(&conviction, &context, &coldkey, wallet_name)?;
    let deposit = at
        .constants()
        .entry(runtime::constants().sentinels().appeal_deposit())
        .map_err(ChainError::from_subxt)?;
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions().sentinels().appeal(case);
    let summary = format!(
        "appeal case {case}: the conviction of {} (uid {} on subnet {}) for {}, by wallet \
         `{wallet_name}` ({})\ndeposit: {} MIND held until the audit ends (returned if it \
         overturns the conviction or ends undecided, burned if it upholds it)",
        to_ss58(&conviction.accused),
        conviction.uid,
        conviction.netuid,
        offence_name(conviction.offence),
        to_ss58(&coldkey),
        format_mind(deposit),
    );
    let (done, fee) = send_paid(
        cx,
        &client,
        &pair,
        &call,
        "holding as the appeal deposit",
        deposit,
        &summary,
    )
    .await?;
    let text = format!(
        "appealed case {case}: an audit committee re-judges it (`mindos sentinel cases {}`); \
         finalized in block #{} ({:?})",
        conviction.netuid, done.block_number, done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "case": case,
                "netuid": conviction.netuid,
                "uid": conviction.uid,
                "hotkey": to_ss58(&conviction.accused),
                "coldkey": to_ss58(&coldkey),
                "deposit": mind_json(deposit),
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

/// Refuses an `unquarantine` of uid `uid` on `netuid` by `coldkey` that the chain would
/// refuse: no quarantine on the hotkey at that uid, a hotkey the wallet does not own, or a
/// quarantine not over yet in sentinel `epoch`. Returns the quarantine.
pub fn check_unquarantine<'a>(
    rows: &'a [Quarantine],
    netuid: u16,
    uid: u16,
    owner: Option<&AccountId32>,
    coldkey: &AccountId32,
    wallet: &str,
    epoch: u64,
) -> anyhow::Result<&'a Quarantine> {
    let Some(row) = rows.iter().find(|q| q.uid == Some(uid)) else {
        bail!("uid {uid} of subnet {netuid} is not quarantined; nothing was sent");
    };
    match owner {
        Some(owner) if owner == coldkey => {}
        Some(owner) => bail!(
            "the quarantined hotkey at uid {uid}, {}, is owned by {}, not by wallet \
             `{wallet}`: only it or its owner may release it. Nothing was sent",
            row.hotkey,
            to_ss58(owner)
        ),
        None => bail!(
            "the quarantined hotkey at uid {uid}, {}, has no owner on chain. Nothing was sent",
            row.hotkey
        ),
    }
    if !row.releasable {
        bail!(
            "the quarantine of uid {uid} on subnet {netuid} lasts until sentinel epoch {} and \
             the subnet is in epoch {epoch}: it can be released from then on. Nothing was sent",
            row.until_epoch
        );
    }
    Ok(row)
}

pub(super) async fn unquarantine(
    cx: &Context<'_>,
    netuid: u16,
    uid: u16,
    wallet_name: &str,
) -> anyhow::Result<()> {
    let wallet = cx.wallets.load(wallet_name)?;
    let coldkey = wallet.keystore.account()?;
    let client = cx.network.connect().await?;
    let at = client.at_best().await?;
    let rows: Vec<Quarantine> = client
        .mindos_read(
            "mindos_quarantines",
            rpc_params![netuid, at.block_hash()],
            Some(NetUid(netuid)),
        )
        .await?;
    let owner = match rows.iter().find(|q| q.uid == Some(uid)) {
        Some(row) => {
            let hotkey = parse_account(&row.hotkey)?;
            client.hotkey_owner(&at, &hotkey).await?
        }
        None => None,
    };
    let epoch = client.sentinels().subnet_epoch(&at, NetUid(netuid)).await?;
    let row = check_unquarantine(
        &rows,
        netuid,
        uid,
        owner.as_ref(),
        &coldkey,
        wallet_name,
        epoch,
    )?;
    let hotkey = row.hotkey.clone();
    let pair = unlock(cx, &wallet)?;
    let call = runtime::transactions()
        .sentinels()
        .unquarantine(ChainNetUid(netuid), uid);
    let summary = format!(
        "release {hotkey} (uid {uid} on subnet {netuid}) from its quarantine for {} (over \
         since sentinel epoch {}); it earns again from the next epoch",
        offence_name(row.offence),
        row.until_epoch
    );
    let (done, fee) = send_paid(cx, &client, &pair, &call, "paying", 0, &summary).await?;
    let text = format!(
        "released {hotkey} (uid {uid} on subnet {netuid}): finalized in block #{} ({:?})",
        done.block_number, done.block_hash
    );
    cx.ui.result(
        &text,
        crate::tx::receipt_json(
            json!({
                "netuid": netuid,
                "uid": uid,
                "hotkey": hotkey,
            }),
            &done,
            fee,
        ),
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mindos_primitives::{QuarantineView, SentinelOffence};

    const ALICE: AccountId32 = AccountId32([1; 32]);
    const BOB: AccountId32 = AccountId32([2; 32]);
    const MINER: AccountId32 = AccountId32([9; 32]);

    fn conviction() -> Conviction {
        Conviction {
            case: 4,
            netuid: 1,
            uid: 17,
            accused: MINER,
            offence: SentinelOffence::WrongOutput,
            convicted: true,
            epoch: 10,
            due_epoch: 13,
            audited: false,
        }
    }

    fn context() -> AppealContext {
        AppealContext {
            subnet_live: true,
            owner: Some(ALICE),
            epoch: 12,
            open_audits: (0, 8),
        }
    }

    fn refused(c: &Conviction, x: &AppealContext) -> String {
        let e = check_appeal(c, x, &ALICE, "alice").unwrap_err().to_string();
        assert!(e.contains("Nothing was sent"), "{e}");
        e
    }

    #[test]
    fn an_appeal_is_refused_before_signing_whenever_the_chain_would_refuse_it() {
        assert!(check_appeal(&conviction(), &context(), &ALICE, "alice").is_ok());
        // The last epoch before the slash falls due still takes it.
        let mut last = context();
        last.epoch = 12;
        assert!(check_appeal(&conviction(), &last, &ALICE, "alice").is_ok());

        let dissolved = AppealContext {
            subnet_live: false,
            ..context()
        };
        assert!(refused(&conviction(), &dissolved).contains("dissolved"));
        let dismissal = Conviction {
            convicted: false,
            ..conviction()
        };
        assert!(refused(&dismissal, &context()).contains("only a conviction"));
        let bobs = AppealContext {
            owner: Some(BOB),
            ..context()
        };
        let e = refused(&conviction(), &bobs);
        assert!(e.contains("not by wallet `alice`"), "{e}");
        assert!(e.contains(&to_ss58(&BOB)), "{e}");
        let unowned = AppealContext {
            owner: None,
            ..context()
        };
        assert!(refused(&conviction(), &unowned).contains("no owner"));
        let late = AppealContext {
            epoch: 13,
            ..context()
        };
        let e = refused(&conviction(), &late);
        assert!(e.contains("before sentinel epoch 13"), "{e}");
        let audited = Conviction {
            audited: true,
            ..conviction()
        };
        assert!(refused(&audited, &context()).contains("audited already"));
        let full = AppealContext {
            open_audits: (8, 8),
            ..context()
        };
        assert!(refused(&conviction(), &full).contains("8 open audits"));
    }

    #[test]
    fn a_conviction_is_appealable_until_its_slash_falls_due_unless_audited() {
        let c = conviction();
        assert!(c.appealable(10));
        assert!(c.appealable(12));
        assert!(!c.appealable(13));
        assert!(!Conviction {
            audited: true,
            ..c.clone()
        }
        .appealable(10));
        assert!(!Conviction {
            convicted: false,
            ..c
        }
        .appealable(10));
    }

    fn quarantine(uid: Option<u16>, releasable: bool) -> Quarantine {
        QuarantineView {
            netuid: NetUid(1),
            hotkey: to_ss58(&MINER),
            uid,
            offence: SentinelOffence::Timeout,
            since_epoch: 3,
            since_block: 61,
            until_epoch: 5,
            offences: 1,
            releasable,
        }
    }

    #[test]
    fn an_unquarantine_is_refused_before_signing_whenever_the_chain_would_refuse_it() {
        let rows = [quarantine(None, false), quarantine(Some(17), true)];
        let row = check_unquarantine(&rows, 1, 17, Some(&ALICE), &ALICE, "alice", 5).unwrap();
        assert_eq!(row.uid, Some(17));
        let e = check_unquarantine(&rows, 1, 3, Some(&ALICE), &ALICE, "alice", 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("uid 3 of subnet 1 is not quarantined"), "{e}");
        let e = check_unquarantine(&rows, 1, 17, Some(&BOB), &ALICE, "alice", 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not by wallet `alice`"), "{e}");
        let early = [quarantine(Some(17), false)];
        let e = check_unquarantine(&early, 1, 17, Some(&ALICE), &ALICE, "alice", 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("until sentinel epoch 5"), "{e}");
        assert!(e.contains("Nothing was sent"), "{e}");
    }
}

//! Signed commands: the gateway or operator tool signs the envelope's
//! bytes; the ledger opens a command only if the signature is valid, by a
//! signer it trusts, for the principal the envelope names. Everything
//! else is a typed rejection, decided before anything reaches the writer.

use efa_proto::{CommandEnvelope, Rejection, SignedCommand, codec};

use crate::keys::{PublicKey, SigningKey};
use crate::signers::{TrustedSigner, TrustedSigners};

/// Signs `envelope` with `key`.
pub fn sign_command(key: &SigningKey, envelope: &CommandEnvelope) -> SignedCommand {
    let envelope = codec::encode(envelope);
    let signature = key.sign(&SignedCommand::signed_bytes(&envelope));
    SignedCommand {
        envelope,
        key_id: key.key_id().to_owned(),
        signature,
    }
}

/// The envelope in `payload` (a `SignedCommand`), if its signature holds
/// and its signer may vouch for its actor. A bare `CommandEnvelope` is
/// `Unsigned`.
pub fn open_command(
    payload: &[u8],
    signers: &TrustedSigners,
) -> Result<CommandEnvelope, Rejection> {
    let (signed, signer) = signed_by(payload, signers)?;
    if !signer.key.verifies(
        &SignedCommand::signed_bytes(&signed.envelope),
        &signed.signature,
    ) {
        return Err(Rejection::BadSignature {
            key_id: signed.key_id,
        });
    }
    envelope_for(signed, signer)
}

/// The signed command in `payload` and its trusted signer, the signature
/// not yet checked.
fn signed_by<'a>(
    payload: &[u8],
    signers: &'a TrustedSigners,
) -> Result<(SignedCommand, &'a TrustedSigner), Rejection> {
    let signed: SignedCommand = match codec::decode(payload) {
        Ok(signed) => signed,
        Err(error) => {
            return Err(match codec::decode::<CommandEnvelope>(payload) {
                Ok(_) => Rejection::Unsigned,
                Err(_) => error.into(),
            });
        }
    };
    match signers.get(&signed.key_id) {
        Some(signer) => Ok((signed, signer)),
        None => Err(Rejection::UnknownSigner {
            key_id: signed.key_id,
        }),
    }
}

/// The envelope of a command whose signature holds, if its signer may
/// vouch for its actor.
fn envelope_for(
    signed: SignedCommand,
    signer: &TrustedSigner,
) -> Result<CommandEnvelope, Rejection> {
    let envelope: CommandEnvelope = codec::decode(&signed.envelope)?;
    if !signer.scope.allows(&envelope.actor) {
        return Err(Rejection::SignerNotAllowed {
            key_id: signed.key_id,
            principal: envelope.actor.to_string(),
        });
    }
    Ok(envelope)
}

/// [`open_command`] for many payloads at once, each with its own answer,
/// in order: the signatures are checked in one Ed25519 batch (about half
/// the work of checking them one by one); when the batch fails, each is
/// checked on its own, so one bad signature refuses only its command.
pub fn open_commands(
    payloads: &[&[u8]],
    signers: &TrustedSigners,
) -> Vec<Result<CommandEnvelope, Rejection>> {
    let mut opened: Vec<Result<(SignedCommand, &TrustedSigner), Rejection>> = payloads
        .iter()
        .map(|payload| signed_by(payload, signers))
        .collect();
    let candidates: Vec<(usize, Vec<u8>)> = opened
        .iter()
        .enumerate()
        .filter_map(|(at, opened)| {
            let (signed, _) = opened.as_ref().ok()?;
            Some((at, SignedCommand::signed_bytes(&signed.envelope)))
        })
        .collect();
    let batch: Vec<(&[u8], &[u8], &PublicKey)> = candidates
        .iter()
        .filter_map(|(at, bytes)| {
            let (signed, signer) = opened[*at].as_ref().ok()?;
            Some((bytes.as_slice(), signed.signature.as_slice(), &signer.key))
        })
        .collect();
    let all_hold = PublicKey::all_verify(&batch);
    for (at, bytes) in &candidates {
        let holds = all_hold
            || opened[*at]
                .as_ref()
                .is_ok_and(|(signed, signer)| signer.key.verifies(bytes, &signed.signature));
        if !holds && let Ok((signed, _)) = &opened[*at] {
            opened[*at] = Err(Rejection::BadSignature {
                key_id: signed.key_id.clone(),
            });
        }
    }
    opened
        .into_iter()
        .map(|opened| opened.and_then(|(signed, signer)| envelope_for(signed, signer)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use efa_proto::*;

    use super::*;
    use crate::signers::{Scope, TrustedSigner};

    fn envelope(actor: &str) -> CommandEnvelope {
        CommandEnvelope {
            command_id: CommandId([1; 16]),
            actor: Actor::parse(actor).unwrap(),
            expected_version: None,
            effective: None,
            command: Command::RegisterKreis(RegisterKreis {
                key: KreisKey::parse("16051").unwrap(),
                name: "Erfurt".into(),
                population: None,
            }),
        }
    }

    /// The gateway trusted for anyone, the operator for the administration.
    fn trusted(gateway: &SigningKey, operator: &SigningKey) -> TrustedSigners {
        let mut signers = TrustedSigners::default();
        signers.put(TrustedSigner {
            key: gateway.public(),
            scope: Scope::Any,
        });
        signers.put(TrustedSigner {
            key: operator.public(),
            scope: Scope::parse("admin").unwrap(),
        });
        signers
    }

    #[test]
    fn only_a_trusted_signer_for_the_actor_opens_a_command() {
        let gateway = SigningKey::generate("gateway").unwrap();
        let operator = SigningKey::generate("operator").unwrap();
        let stranger = SigningKey::generate("gateway").unwrap();
        let signers = trusted(&gateway, &operator);
        let open = |signed: &SignedCommand| open_command(&codec::encode(signed), &signers);

        let admin = envelope("admin");
        assert_eq!(open(&sign_command(&gateway, &admin)).unwrap(), admin);
        assert_eq!(open(&sign_command(&operator, &admin)).unwrap(), admin);
        assert_eq!(
            open(&sign_command(&operator, &envelope("land:04"))),
            Err(Rejection::SignerNotAllowed {
                key_id: "operator".into(),
                principal: "land:04".into()
            })
        );
        assert_eq!(
            open(&sign_command(&stranger, &admin)),
            Err(Rejection::BadSignature {
                key_id: "gateway".into()
            })
        );
        let mut forged = sign_command(&gateway, &envelope("land:04"));
        forged.envelope = codec::encode(&admin);
        assert!(matches!(open(&forged), Err(Rejection::BadSignature { .. })));
        let unknown = SigningKey::generate("nobody").unwrap();
        assert!(matches!(
            open(&sign_command(&unknown, &admin)),
            Err(Rejection::UnknownSigner { .. })
        ));
        assert_eq!(
            open_command(&codec::encode(&admin), &signers),
            Err(Rejection::Unsigned)
        );
        assert!(matches!(
            open_command(b"\x01\xff", &signers),
            Err(Rejection::Malformed { .. })
        ));
    }

    /// A batch opens each command as `open_command` would: the good ones
    /// pass although others in the same batch fail, each failure with its
    /// own rejection, in order.
    #[test]
    fn a_batch_answers_each_command_as_one_by_one() {
        let gateway = SigningKey::generate("gateway").unwrap();
        let operator = SigningKey::generate("operator").unwrap();
        let stranger = SigningKey::generate("gateway").unwrap();
        let unknown = SigningKey::generate("nobody").unwrap();
        let signers = trusted(&gateway, &operator);
        let admin = envelope("admin");
        let mut forged = sign_command(&gateway, &envelope("land:04"));
        forged.envelope = codec::encode(&admin);
        let payloads: Vec<Vec<u8>> = vec![
            codec::encode(&sign_command(&gateway, &admin)),
            codec::encode(&sign_command(&stranger, &admin)),
            codec::encode(&sign_command(&operator, &envelope("land:04"))),
            codec::encode(&forged),
            codec::encode(&sign_command(&operator, &admin)),
            codec::encode(&sign_command(&unknown, &admin)),
            codec::encode(&admin),
            b"\x01\xff".to_vec(),
        ];
        let borrowed: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let one_by_one: Vec<_> = borrowed
            .iter()
            .map(|payload| open_command(payload, &signers))
            .collect();
        assert_eq!(open_commands(&borrowed, &signers), one_by_one);
        // A batch of one (a lone command in flight) is checked on its own.
        for (payload, alone) in borrowed.iter().zip(&one_by_one) {
            assert_eq!(
                open_commands(&[payload], &signers),
                std::slice::from_ref(alone)
            );
        }
        assert_eq!(one_by_one[0], Ok(admin.clone()));
        assert_eq!(one_by_one[4], Ok(admin.clone()));
        assert!(matches!(one_by_one[1], Err(Rejection::BadSignature { .. })));
        assert!(matches!(one_by_one[3], Err(Rejection::BadSignature { .. })));
        // All good: the batch holds as a whole.
        let good = [
            codec::encode(&sign_command(&gateway, &admin)),
            codec::encode(&sign_command(&operator, &admin)),
        ];
        let good: Vec<&[u8]> = good.iter().map(Vec::as_slice).collect();
        assert_eq!(
            open_commands(&good, &signers),
            vec![Ok(admin.clone()), Ok(admin)]
        );
    }
}

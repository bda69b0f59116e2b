//! Signed commands: the gateway or operator tool signs the envelope's
//! bytes; the ledger opens a command only if the signature is valid, by a
//! signer it trusts, for the principal the envelope names. Everything
//! else is a typed rejection, decided before anything reaches the writer.

use efa_proto::{CommandEnvelope, Rejection, SignedCommand, codec};

use crate::keys::SigningKey;
use crate::signers::TrustedSigners;

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
    let signed: SignedCommand = match codec::decode(payload) {
        Ok(signed) => signed,
        Err(error) => {
            return Err(match codec::decode::<CommandEnvelope>(payload) {
                Ok(_) => Rejection::Unsigned,
                Err(_) => error.into(),
            });
        }
    };
    let Some(signer) = signers.get(&signed.key_id) else {
        return Err(Rejection::UnknownSigner {
            key_id: signed.key_id,
        });
    };
    if !signer.key.verifies(
        &SignedCommand::signed_bytes(&signed.envelope),
        &signed.signature,
    ) {
        return Err(Rejection::BadSignature {
            key_id: signed.key_id,
        });
    }
    let envelope: CommandEnvelope = codec::decode(&signed.envelope)?;
    if !signer.scope.allows(&envelope.actor) {
        return Err(Rejection::SignerNotAllowed {
            key_id: signed.key_id,
            principal: envelope.actor.to_string(),
        });
    }
    Ok(envelope)
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

    #[test]
    fn only_a_trusted_signer_for_the_actor_opens_a_command() {
        let gateway = SigningKey::generate("gateway").unwrap();
        let operator = SigningKey::generate("operator").unwrap();
        let stranger = SigningKey::generate("gateway").unwrap();
        let mut signers = TrustedSigners::default();
        signers.put(TrustedSigner {
            key: gateway.public(),
            scope: Scope::Any,
        });
        signers.put(TrustedSigner {
            key: operator.public(),
            scope: Scope::parse("admin").unwrap(),
        });
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
}

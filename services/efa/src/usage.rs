//! A command line clap refuses, said in German: clap's own messages are
//! English ("the following required arguments were not provided"), and
//! every other message of `efa` is German. What was wrong, with the
//! argument and value clap names, and where the help is; exit code 2, as
//! for every other invalid input (`client::EXIT_CODES`). Help and version
//! are printed by clap as before.

use clap::error::{ContextKind, ErrorKind};

/// The German message for `error`; `None` for help and version, which
/// clap prints itself.
pub fn german(error: &clap::Error) -> Option<String> {
    let context = |kind| error.get(kind).map(ToString::to_string);
    let arg = context(ContextKind::InvalidArg).unwrap_or_default();
    let value = context(ContextKind::InvalidValue).unwrap_or_default();
    let what = match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::MissingRequiredArgument => format!("Es fehlt: {arg}"),
        ErrorKind::MissingSubcommand => "Es fehlt, welcher Befehl".to_owned(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if value.is_empty() => {
            format!("{arg} braucht einen Wert")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let valid = context(ContextKind::ValidValue)
                .map(|valid| format!(" (möglich: {valid})"))
                .unwrap_or_default();
            format!("Der Wert „{value}“ passt nicht zu {arg}{valid}")
        }
        ErrorKind::UnknownArgument => format!("Diese Angabe kennt der Befehl nicht: {arg}"),
        ErrorKind::InvalidSubcommand => {
            let command = context(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("Diesen Befehl gibt es nicht: {command}")
        }
        ErrorKind::ArgumentConflict => {
            let prior = context(ContextKind::PriorArg).unwrap_or_default();
            format!("{arg} und {prior} gehen nicht zusammen")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("{arg} hat zu viele oder zu wenige Werte")
        }
        _ => "Die Befehlszeile ist nicht lesbar".to_owned(),
    };
    let suggestion = context(ContextKind::SuggestedArg)
        .or_else(|| context(ContextKind::SuggestedSubcommand))
        .map(|suggested| format!("\nHinweis: Gemeint ist vielleicht {suggested}."))
        .unwrap_or_default();
    Some(format!(
        "Fehler: {what}.{suggestion}\nHinweis: `efa --help`, oder `--help` nach dem Befehl, \
         nennt alle Angaben."
    ))
}

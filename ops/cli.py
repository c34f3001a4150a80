"""Command line for a production install: the association, its sites and strands, accounts, keys, retention.

python -m ops.cli set-association --name "Association …"
python -m ops.cli create-site --code LYO --name "Lyon" --city Lyon     (close-site / reopen-site --code LYO)
python -m ops.cli add-strand --name "Aller-vers"
python -m ops.cli setup-status
python -m ops.cli create-user --username dir.nat --name "Nom Prénom" --role direction
python -m ops.cli create-user --username ts.lyon --name "…" --role intervenant --site LYO
python -m ops.cli set-password --username dir.nat
python -m ops.cli enrolment-code --username ts.lyon   (the holder sets the password with the code)
python -m ops.cli deactivate --username ancien.compte
python -m ops.cli generate-key
python -m ops.cli retention --dry-run     (then --apply: anonymise files without contact for 2 years)
python -m ops.cli generate-backup-key
python -m ops.cli backup --output-dir /var/backups/parcours --keep 14
python -m ops.cli restore /var/backups/parcours/parcours-postgresql-20261203T020000Z.pcbk [--force]
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from contextlib import nullcontext
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import SQLModel, select

from models.audit import AuditAction
from models.organisation import Role
from models.persons import Person, PersonNote
from models.types import EncryptedText
from ops import archive, backup
from services.accounts import enrolment, users
from services.persons import retention
from services.persons.alias_index import reindex_every_alias
from services.platform import audit, oplog, organisation
from services.platform.config import ConfigurationError, load_settings
from services.platform.crypto import FieldCipher
from services.platform.db import make_engine, unit_of_work, upgrade_to_head
from services.platform.errors import DatabaseUnavailable, ServiceError, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe (12 caractères minimum) : ")
    if getpass.getpass("Confirmation : ") != first:
        raise ValidationFailed({"password": "Les deux saisies diffèrent."})
    return first


def _print_code(issued: enrolment.IssuedCode) -> None:
    print(
        f"Code d'activation de « {issued.username} » : {issued.code}\n"
        f"À remettre au ou à la titulaire seulement, valable jusqu'au {issued.expires_at:%d/%m/%Y %H:%M} UTC : "
        "sur la page de connexion, « Première connexion ou code reçu », il ou elle choisit son mot de passe."
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.cli", description="Administration de Parcours")
    commands = parser.add_subparsers(dest="command", required=True)

    association = commands.add_parser("set-association", help="nommer l'association (figure sur les rapports)")
    association.add_argument("--name", required=True)
    site = commands.add_parser("create-site", help="ouvrir un site")
    site.add_argument("--code", required=True, help="2 à 8 lettres majuscules ou chiffres, ex. LYO")
    site.add_argument("--name", required=True)
    site.add_argument("--city", required=True)
    for name, text in (("close-site", "fermer un site (ses données restent)"), ("reopen-site", "rouvrir un site")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--code", required=True)
    commands.add_parser("list-sites", help="lister les sites")
    strand = commands.add_parser("add-strand", help="ajouter un volet (proposé aux nouvelles subventions)")
    strand.add_argument("--name", required=True)
    commands.add_parser("setup-status", help="ce qui manque encore à l'installation")

    create = commands.add_parser("create-user", help="créer un compte")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="nom affiché")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--site", action="append", default=[], help="code de site (répétable), ex. LYO")
    create.add_argument("--funder", help="nom du financeur (rôle financeur)")
    create.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")

    code = commands.add_parser(
        "enrolment-code", help="remettre au ou à la titulaire un code pour choisir son mot de passe"
    )
    code.add_argument("--username", required=True)

    password = commands.add_parser("set-password", help="réinitialiser un mot de passe")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")

    for name, text in (
        ("deactivate", "désactiver un compte"),
        ("activate", "réactiver un compte"),
        ("unlock", "lever un verrouillage"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--username", required=True)

    commands.add_parser("list-users", help="lister les comptes")
    commands.add_parser("generate-key", help="afficher une nouvelle clé de chiffrement")
    commands.add_parser("rotate-keys", help="rechiffrer les données avec la première clé configurée")
    purge = commands.add_parser("purge-audit", help="supprimer les événements d'audit échus")
    purge.add_argument("--days", type=int, help="durée de conservation (par défaut celle de la configuration)")
    keep = commands.add_parser("retention", help="dossiers sans contact depuis 2 ans : lister ou anonymiser")
    mode = keep.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="lister sans rien modifier")
    mode.add_argument("--apply", action="store_true", help="anonymiser (irréversible)")
    _backup_commands(commands)
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("un nombre entier, 1 au moins")
    return int(text)


def _backup_commands(commands) -> None:
    commands.add_parser("generate-backup-key", help="afficher une nouvelle clé de sauvegarde (PARCOURS_BACKUP_KEY)")
    save = commands.add_parser("backup", help="écrire une sauvegarde chiffrée de la base")
    save.add_argument("--output-dir", required=True, type=Path, help="dossier des sauvegardes (créé en 700)")
    save.add_argument("--keep", type=_positive, help="garder les N plus récentes, supprimer les plus anciennes")
    load = commands.add_parser("restore", help="remplacer la base configurée par une sauvegarde (application arrêtée)")
    load.add_argument("archive", type=Path, help="fichier parcours-….pcbk")
    load.add_argument("--force", action="store_true", help="remplacer une base qui contient déjà des données")


def _size(size_bytes: int) -> str:
    return f"{_decimal(size_bytes / 1_000_000)} Mo"


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _backup_command(settings, args: argparse.Namespace) -> int:
    """`backup` or `restore`: one line on success; errors in French on stderr, exit 1."""
    try:
        if args.command == "backup":
            done = backup.backup(settings, args.output_dir, keep=args.keep)
            removed = f", {len(done.removed)} ancienne(s) supprimée(s)" if done.removed else ""
            print(f"Sauvegarde écrite : {done.path}, {_size(done.size_bytes)}, {_decimal(done.seconds)} s{removed}.")
            return 0
        restored = backup.restore(settings, args.archive, force=args.force)
    except archive.ArchiveError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    except (sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        # The driver's own words, first line only: a statement's parameters never reach the terminal.
        cause = getattr(exc, "orig", None) or exc
        print(f"Erreur de la base de données : {str(cause).splitlines()[0]}", file=sys.stderr)
        return 1
    replaced = f", {restored.replaced_tables} table(s) remplacée(s)" if restored.replaced_tables else ""
    print(f"Restauration terminée : base {restored.engine} à jour du schéma, {_decimal(restored.seconds)} s{replaced}.")
    if restored.identities_readable is False:
        print(
            "Attention : les identités restaurées ne se déchiffrent pas avec PARCOURS_ENCRYPTION_KEY ; "
            "configurez la clé de chiffrement en vigueur au jour de la sauvegarde.",
            file=sys.stderr,
        )
        return 1
    return 0


def _retention(session, *, apply: bool) -> int:
    """All sites: list the files due (dry run) or anonymise them together (one transaction: their
    details count for each other in the k-anonymity rule of services.persons.generalisation)."""
    due = retention.files_due_for_retention(session, SYSTEM_ACTOR)
    if not apply:
        print(f"{len(due)} dossier(s) sans contact depuis 2 ans (rien n'est modifié) :")
        for row in due:
            print(f"  {row.code}  {row.site_code}  dernier contact {row.last_contact_on.isoformat()}")
        return len(due)
    done = retention.anonymise_due_files(session, SYSTEM_ACTOR)
    for anonymised in done:
        print(f"  {anonymised.code} anonymisé")
    print(f"{len(done)} dossier(s) anonymisé(s).")
    return len(done)


# Commands that are jobs (run by hand or by a timer): one line in the operators' log when each starts and
# ends, with its counts and duration (services.platform.oplog).
JOB_COMMANDS = frozenset({"retention", "purge-audit", "rotate-keys", "backup", "restore"})


def _job_log(command: str):
    return oplog.job(command) if command in JOB_COMMANDS else nullcontext(oplog.JobRun(counts={}))


def _rotate_free_texts(connection) -> int:
    """Rewrite every row holding encrypted free text (`EncryptedText` columns, found in the models):
    the engine decrypts with any configured key and encrypts with the first."""
    count = 0
    for table in SQLModel.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, EncryptedText)]
        if not columns:
            continue
        for row in connection.execute(sa.select(table.c.id, *columns)).all():
            texts = dict(zip((column.name for column in columns), row[1:], strict=True))
            if any(text is not None for text in texts.values()):
                connection.execute(sa.update(table).where(table.c.id == row[0]).values(**texts))
                count += 1
    return count


def _rotate_keys(session, cipher: FieldCipher) -> int:
    count = 0
    for person in session.exec(select(Person)).all():
        person.alias_encrypted = cipher.rotate(person.alias_encrypted)
        person.phone_encrypted = cipher.rotate(person.phone_encrypted)
        count += 1
    for note in session.exec(select(PersonNote)).all():
        note.body_encrypted = cipher.rotate(note.body_encrypted)
        count += 1
    count += _rotate_free_texts(session.connection())
    reindex_every_alias(session, cipher)  # the blind index, keyed from the new first key
    audit.record(session, actor=SYSTEM_ACTOR, action=AuditAction.KEYS_ROTATE)
    session.commit()
    return count


def _setup_status(session) -> None:
    progress = organisation.setup_progress(session, SYSTEM_ACTOR)
    for done, text in (
        (progress.association_named, "nom de l'association (set-association)"),
        (progress.has_site, "au moins un site ouvert (create-site)"),
        (progress.has_strand, "au moins un volet (add-strand)"),
        (progress.has_site_account, "un compte rattaché à un site (create-user --site)"),
    ):
        print(f"[{'x' if done else ' '}] {text}")
    print("Installation complète." if progress.complete else "Installation incomplète.")


def _organisation_command(session, args: argparse.Namespace) -> bool:
    """Run an organisation command; False if `args` names another command."""
    if args.command == "set-association":
        organisation.set_association_name(session, SYSTEM_ACTOR, data={"name": args.name})
        print("Nom de l'association enregistré.")
    elif args.command == "create-site":
        data = {"code": args.code, "name": args.name, "city": args.city}
        organisation.create_site(session, SYSTEM_ACTOR, data=data)
        print(f"Site « {args.code.strip().upper()} » créé.")
    elif args.command in ("close-site", "reopen-site"):
        organisation.set_site_active(session, SYSTEM_ACTOR, args.code, active=args.command == "reopen-site")
        print("Fait.")
    elif args.command == "list-sites":
        for row in organisation.list_sites(session, SYSTEM_ACTOR):
            state = "ouvert" if row.is_active else "fermé"
            print(f"{row.code:8} {row.name:30} {row.city:20} {row.account_count:>4} compte(s)  {state}")
    elif args.command == "add-strand":
        organisation.add_strand(session, SYSTEM_ACTOR, data={"name": args.name})
        print("Volet ajouté.")
    elif args.command == "setup-status":
        _setup_status(session)
    else:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate-key":
        print(Fernet.generate_key().decode())
        return 0
    if args.command == "generate-backup-key":
        print(archive.generate_key())
        return 0
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"Configuration refusée : {exc}", file=sys.stderr)
        return 2
    oplog.configure()
    if args.command in ("backup", "restore"):  # the database as it is: no migration before
        with _job_log(args.command) as job:
            job.counts["exit"] = _backup_command(settings, args)
        return job.counts["exit"]
    engine = make_engine(settings.database_url, encryption_keys=settings.encryption_keys(), create=False)
    try:
        upgrade_to_head(engine)
        with _job_log(args.command) as job, unit_of_work(engine) as session:
            if _organisation_command(session, args):
                pass
            elif args.command == "create-user" and enrolment.holder_sets_password(settings, Role(args.role)):
                _print_code(
                    users.enrol_user(
                        session,
                        settings,
                        SYSTEM_ACTOR,
                        username=args.username,
                        display_name=args.name,
                        role=Role(args.role),
                        site_codes=args.site,
                        funder_name=args.funder,
                    )
                )
            elif args.command == "create-user":
                users.create_user(
                    session,
                    settings,
                    SYSTEM_ACTOR,
                    username=args.username,
                    display_name=args.name,
                    role=Role(args.role),
                    password=_password(args),
                    site_codes=args.site,
                    funder_name=args.funder,
                )
                print(f"Compte « {args.username} » créé.")
            elif args.command == "enrolment-code":
                _print_code(users.issue_enrolment_code(session, SYSTEM_ACTOR, args.username))
            elif args.command == "set-password":
                users.reset_password(session, settings, SYSTEM_ACTOR, args.username, new_password=_password(args))
                print("Mot de passe modifié ; les sessions ouvertes sont fermées.")
            elif args.command in ("deactivate", "activate"):
                issued = users.set_active(
                    session, settings, SYSTEM_ACTOR, args.username, active=args.command == "activate"
                )
                print("Fait.")
                if issued is not None:
                    _print_code(issued)
            elif args.command == "unlock":
                users.unlock(session, SYSTEM_ACTOR, args.username)
                print("Fait.")
            elif args.command == "list-users":
                for row in users.list_users(session, SYSTEM_ACTOR):
                    state = "actif" if row.is_active else "désactivé"
                    print(f"{row.username:24} {row.role.value:14} {','.join(row.site_codes) or '-':12} {state}")
            elif args.command == "rotate-keys":
                job.counts["rows"] = _rotate_keys(session, FieldCipher(settings.encryption_keys()))
                print(f"{job.counts['rows']} enregistrement(s) rechiffré(s).")
            elif args.command == "purge-audit":
                removed = audit.purge_older_than(session, days=args.days or settings.audit_retention_days)
                session.commit()
                job.counts["removed"] = removed
                print(f"{removed} événement(s) supprimé(s).")
            elif args.command == "retention":
                job.counts["due" if not args.apply else "anonymised"] = _retention(session, apply=args.apply)
    except ValidationFailed as exc:
        for message in exc.errors.values():
            print(f"Erreur : {message}", file=sys.stderr)
        return 1
    except DatabaseUnavailable as exc:
        print(f"Erreur : {exc.__cause__ or exc}", file=sys.stderr)
        return 1
    except ServiceError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

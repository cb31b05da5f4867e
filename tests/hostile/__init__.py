"""Hostile input and hard stops ([3/7]): every bad input a nightly job meets, crafted in the tests.

Where each input of the issue is tried (each ends with its one-line reason and exit code, the rest of
its batch loaded, memory measured in the reader process, and no process left behind):

- ``test_local_inputs``: non-UTF-8 (GBK) file names, a file deleted while its folder is walked,
  ``/proc/self/mem``, a FIFO, ``/dev/zero`` and other devices, folders, unlistable folders, the same
  bytes under two names, a whole hostile folder through ``fiscal run``.
- ``test_documents`` (bombs from ``pdfs``): flate bombs, a page tree claiming 10**6 pages, pages of many
  streams (also inside object streams), the reader's time and memory limits, a crashing reader.
- ``test_processes``: the temporary Prefect server and the PDF reader die with ``kill -9`` / SIGTERM of
  their command.
- ``test_cli_errors``: bad warehouse URLs and dialects, wrong or unreachable PostgreSQL, a file that is
  not SQLite, data dirs that are files or read-only, bad option values, ``--output`` onto folders and
  files, rerun/restore/alias of what does not exist; passwords in no output, log or Prefect record.
- ``test_ssrf``: metadata, link-local and private addresses (also after redirects and rebinding),
  ``allow_private``.
- ``test_migration_lock``: concurrent first runs on SQLite and PostgreSQL.
- ``test_harvest_housekeeping``: HTML served as PDF in its charset, servlet file names, source name and
  URL, broken links backed off across nights and ``fiscal harvest --broken``.
- ``test_sources_yaml``: alias bombs, oversized, deeply nested, Python tags, not UTF-8.
"""

"""JupyterHub configuration of the course hub (``cs231n-course hub start``).

Read by ``jupyterhub -f``; the settings of one hub (ports, accounts, the
Python of the single-user servers) come from ``$CS231N_HUB_DIR/settings.json``,
written by ``cs231n.hub.start``.  Secrets (the cookie secret, the database)
stay in that folder, readable by root only.
"""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

hub_dir = Path(os.environ["CS231N_HUB_DIR"])
settings = json.loads((hub_dir / "settings.json").read_text())
prefix = settings["prefix"]
instructor = f"{prefix}instructor"
students = [f"{prefix}student{i}" for i in range(1, settings["students"] + 1)]
bin_dir = Path(settings["python"]).parent

# Loopback only: a real deployment puts TLS in front (README, "A hub for a class").
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["port"] + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['port'] + 2}"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
c.JupyterHub.pid_file = str(hub_dir / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
# Stopping the hub stops everyone's server and the proxy with it.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# System users, system passwords (PAM).  Only the course's accounts may log
# in; nobody is a hub admin (an admin could open anyone's server).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {instructor, *students}
c.Authenticator.admin_users = set()
c.PAMAuthenticator.open_sessions = False

# Each server runs as its person, from the course's environment, in their
# home; it opens JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# No news fetched from the internet, no update checks.
c.Spawner.args = ["--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# The course's kernel runs numpy with one BLAS thread (see the Makefile).
c.Spawner.environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                         "MKL_NUM_THREADS": "1"}

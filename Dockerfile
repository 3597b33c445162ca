# nb2service S2I builder image: `s2i build <notebook repo> nb2service <tag>` gives a model service.
#
#   make image                       # buildah or docker, whichever is present
#   buildah bud --build-arg BASE_IMAGE=localhost/nb2service-base -t nb2service .
#
# Two virtual environments, installed in one layer from one uv cache with hard links, so the
# packages they share are stored once:
#   /opt/nb2service  the builder's own tooling (nb2service, uv); never changed by a build
#   /opt/app-root    the app: the notebook's dependencies, the serving runtime and the model
#                    (HOME=/opt/app-root/src), with the heavy packages ready; the notebook's pins win
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

LABEL summary="Builds a Jupyter notebook that trains a model into a REST model service" \
      io.k8s.description="S2I builder: runs the notebook in a git repo headless, finds the trained model, verifies it and serves it over HTTP (native, MLflow, KServe V1/V2 protocols, Prometheus metrics)." \
      io.k8s.display-name="nb2service (Python 3.11)" \
      io.openshift.expose-services="8080:http" \
      io.openshift.tags="builder,python,python311,jupyter,machine-learning,nb2service" \
      io.openshift.s2i.scripts-url="image:///usr/libexec/s2i" \
      io.s2i.scripts-url="image:///usr/libexec/s2i" \
      io.openshift.s2i.assemble-user="1001"

ENV APP_ROOT=/opt/app-root \
    HOME=/opt/app-root/src \
    STI_SCRIPTS_PATH=/usr/libexec/s2i \
    PATH=/opt/app-root/bin:/opt/nb2service/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NB2SERVICE_ENV=/opt/app-root \
    NB2SERVICE_ARTIFACT=/opt/app-root/model \
    NB2SERVICE_SECRETS_DIR=/opt/app-root/secrets \
    NB2SERVICE_HOST=0.0.0.0 \
    PORT=8080 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_SYSTEM_CERTS=1 \
    UV_LINK_MODE=hardlink \
    UV_PYTHON_DOWNLOADS=never \
    ORT_DISABLE_TELEMETRY=1

USER root
# A passwd entry for the default user 1001 (group 0); OpenShift adds one for an arbitrary uid.
RUN grep -q '^default:' /etc/passwd \
    || echo 'default:x:1001:0:nb2service application user:/opt/app-root/src:/usr/sbin/nologin' >> /etc/passwd

# The packages most notebooks need, ready in the app environment (a notebook's own pins still win).
COPY image/app-requirements.txt image/share-bytecode.py /tmp/nb2service-src/image/
COPY pyproject.toml README.md /tmp/nb2service-src/
COPY builder/ /tmp/nb2service-src/builder/
RUN set -eu; export UV_CACHE_DIR=/tmp/uv-cache; \
    python3 -m venv --without-pip /opt/nb2service \
    && python3 -m venv /tmp/bootstrap && /tmp/bootstrap/bin/pip install -q --no-cache-dir uv \
    && /tmp/bootstrap/bin/uv pip install -q --python /opt/nb2service/bin/python /tmp/nb2service-src "dumb-init>=1.2.5" \
    && rm -rf /tmp/bootstrap \
    && /opt/nb2service/bin/uv venv -q --seed --python "$(command -v python3)" /opt/app-root \
    && /opt/nb2service/bin/uv pip freeze --python /opt/nb2service/bin/python | grep -v '^nb2service' > /tmp/constraints.txt \
    && /opt/nb2service/bin/uv pip install -q --compile-bytecode --python /opt/app-root/bin/python \
         -r /tmp/nb2service-src/image/app-requirements.txt -c /tmp/constraints.txt \
    && /opt/nb2service/bin/python -m compileall -q /opt/nb2service/lib \
    && python3 /tmp/nb2service-src/image/share-bytecode.py /opt/nb2service /opt/app-root \
    && rm -rf /tmp/uv-cache /tmp/uv-*.lock /tmp/constraints.txt /tmp/nb2service-src /root/.cache \
    && mkdir -p /opt/app-root/src /opt/app-root/secrets \
    && chown -R 1001:0 /opt/app-root/src /opt/app-root/secrets \
    && find /opt/app-root -type d -exec chmod g+rwx {} + \
    && chmod -R g+rw /opt/app-root/src /opt/app-root/secrets

COPY s2i/bin/ /usr/libexec/s2i/
COPY image/entrypoint /usr/libexec/nb2service/entrypoint
RUN chmod 0755 /usr/libexec/s2i/* /usr/libexec/nb2service/entrypoint

# PID 1 is dumb-init (a static binary from PyPI, so it works on any base): it forwards SIGTERM to the
# server's process group and reaps orphans; the entrypoint makes a shell-form CMD exec the server.
ENTRYPOINT ["/opt/nb2service/bin/dumb-init", "--", "/usr/libexec/nb2service/entrypoint"]

WORKDIR /opt/app-root/src
USER 1001
EXPOSE 8080
CMD ["/usr/libexec/s2i/usage"]

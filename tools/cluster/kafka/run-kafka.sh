#!/bin/sh
# Kafka for the local cluster's `local` profile (in place of the Strimzi operator): one KRaft node
# (controller and broker) of a StatefulSet, configured like Strimzi's: a SCRAM-SHA-512 client
# listener, a replication and a controller listener for the nodes themselves (SASL PLAIN as the
# admin super user), StandardAuthorizer with no access where no ACL is found; SCRAM users from the
# mounted Secrets (as the User Operator would make them), then the topics and ACLs of the mounted
# lists (as the Topic and User Operators would). Runs as a non-root user on a read-only root
# filesystem.
#   POD_NAME, KAFKA_ADVERTISED_HOST   this pod's name (<statefulset>-<ordinal>) and DNS name
#   /etc/kafka/config/server.properties   what every node shares (the charts write it)
#   /etc/kafka/config/{topics,acls}       "<topic> <partitions> <replicas> <min.insync>", "<principal> <type> <name> <operation>"
#   /etc/kafka/config/cluster-id          the KRaft cluster id every node is formatted with
#   /etc/kafka/admin/password             the admin super user's password
#   /etc/kafka/users/<user>/password      one directory per SCRAM user
set -eu
KAFKA=/opt/kafka
DATA=/var/lib/kafka/data
CONF=/tmp/kafka/server.properties
ADMIN=/tmp/kafka/admin.properties
CP="$KAFKA/libs/*:$KAFKA/classes"
JAVA_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true"
TOOL_OPTS="-Xmx96m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
mkdir -p /tmp/kafka "$DATA"
umask 077

admin_user="$(cat /etc/kafka/config/admin-user)"
admin_password="$(cat /etc/kafka/admin/password)"
plain="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$admin_user\" password=\"$admin_password\" user_$admin_user=\"$admin_password\";"
{
  cat /etc/kafka/config/server.properties
  printf 'node.id=%s\n' "${POD_NAME##*-}"
  printf 'advertised.listeners=SCRAM://%s:9092,REPLICATION://%s:9091\n' "$KAFKA_ADVERTISED_HOST" "$KAFKA_ADVERTISED_HOST"
  printf 'log.dirs=%s\n' "$DATA"
  printf 'listener.name.replication.plain.sasl.jaas.config=%s\n' "$plain"
  printf 'listener.name.controller.plain.sasl.jaas.config=%s\n' "$plain"
} >"$CONF"
{
  printf 'bootstrap.servers=127.0.0.1:9091\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n'
  printf 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s";\n' "$admin_user" "$admin_password"
} >"$ADMIN"

if [ ! -f "$DATA/meta.properties" ]; then
  set --
  for dir in /etc/kafka/users/*/; do
    user="$(basename "$dir")"
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$dir/password")]"
  done
  # shellcheck disable=SC2086
  java $TOOL_OPTS -cp "$CP" kafka.tools.StorageTool format -t "$(cat /etc/kafka/config/cluster-id)" -c "$CONF" "$@"
fi

# shellcheck disable=SC2086
java $JAVA_OPTS -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$CP" kafka.Kafka "$CONF" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT

# topics and ACLs (every node does it; the second and third find them made), then ready (the
# readiness probe looks for the marker)
# shellcheck disable=SC2086
until java $TOOL_OPTS -cp "$CP" KafkaAdmin provision "$ADMIN" /etc/kafka/config/topics /etc/kafka/config/acls; do
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 3
done
touch /tmp/kafka/ready
# a signal interrupts `wait`; keep waiting until the broker has shut down cleanly
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done

#!/bin/sh
# Kafka for the local cluster's `local` profile (in place of the Strimzi operator): one KRaft node,
# controller and broker, a SCRAM-SHA-512 client listener like Strimzi's `scram` listener, SCRAM
# users from the mounted Secrets (as the User Operator would make them), the topics of the mounted
# list (as the Topic Operator would). Runs as a non-root user on a read-only root filesystem.
#   KAFKA_ADVERTISED_HOST   this pod's DNS name (the StatefulSet's headless Service)
#   /etc/kafka/users/<user>/password    one directory per SCRAM user
#   /etc/kafka/topics/topics            "<topic> <partitions>" lines
set -eu
KAFKA=/opt/kafka
DATA=/var/lib/kafka/data
CONF=/tmp/kafka/server.properties
CP="$KAFKA/libs/*:$KAFKA/classes"
JAVA_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true"
mkdir -p /tmp/kafka "$DATA"

cat >"$CONF" <<CONF
process.roles=broker,controller
node.id=1
listeners=SCRAM://:9092,REPLICATION://127.0.0.1:9091,CONTROLLER://127.0.0.1:9093
advertised.listeners=SCRAM://${KAFKA_ADVERTISED_HOST}:9092,REPLICATION://127.0.0.1:9091
listener.security.protocol.map=SCRAM:SASL_PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT
listener.name.scram.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.scram.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
controller.listener.names=CONTROLLER
inter.broker.listener.name=REPLICATION
controller.quorum.bootstrap.servers=127.0.0.1:9093
log.dirs=$DATA
auto.create.topics.enable=false
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
CONF

if [ ! -f "$DATA/meta.properties" ]; then
  set --
  for dir in /etc/kafka/users/*/; do
    user="$(basename "$dir")"
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$dir/password")]"
  done
  cluster_id="$(java -cp "$CP" kafka.tools.StorageTool random-uuid)"
  # shellcheck disable=SC2086
  java $JAVA_OPTS -cp "$CP" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF" "$@"
fi

# shellcheck disable=SC2086
java $JAVA_OPTS -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$CP" kafka.Kafka "$CONF" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT

# topics, then ready (the readiness probe looks for the marker)
until java -cp "$CP" CreateTopics 127.0.0.1:9091 /etc/kafka/topics/topics; do
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 2
done
touch /tmp/kafka/ready
# a signal interrupts `wait`; keep waiting until the broker has shut down cleanly
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done

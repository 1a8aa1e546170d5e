# shellcheck shell=bash
# Kafka checks of test-k8s.sh's Kafka phase, made with the image's own admin tool
# (tools/cluster/kafka/KafkaAdmin.java) inside a Kafka pod, as the admin super user:
#   kafka_acl_checks     a SCRAM user with no ACL is refused producing and consuming
#                        (TOPIC_AUTHORIZATION_FAILED) through the client listener
#   kafka_isr_checks     every partition of every topic: 3 replicas, all 3 in sync, min.insync.replicas 2
# Files go to $PHASE_OUT, results are recorded as KAFKA_<NAME>.

kafka_admin() { # KafkaAdmin arguments after the command's admin properties
  local cmd="$1"
  shift
  k -n "$NS" exec oleada-kafka-0 -c kafka -- java -Xmx96m -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
    -cp '/opt/kafka/libs/*:/opt/kafka/classes' KafkaAdmin "$cmd" /tmp/kafka/admin.properties "$@"
}

kafka_acl_checks() {
  local topic result produce consume
  topic="$(node -e "console.log(require('@oleada/scenarios').getScenario(process.argv[1]).topics[0])" "$SCENARIO")"
  result="$(kafka_admin probe oleada-kafka-bootstrap:9092 oleada-acl-probe "$topic" 2>&1)" || true
  printf '%s\n' "$result" >"$PHASE_OUT/kafka-acl-probe.txt"
  produce="$(awk '$1 == "produce" {print $2}' <<<"$result")"
  consume="$(awk '$1 == "consume" {print $2}' <<<"$result")"
  record KAFKA_PROBE_TOPIC "$topic"
  record KAFKA_PROBE_PRODUCE "${produce:-none}"
  record KAFKA_PROBE_CONSUME "${consume:-none}"
  check "[$PHASE] a SCRAM user without ACLs is refused producing to $topic (${produce:-no answer})" test "$produce" = TOPIC_AUTHORIZATION_FAILED
  check "[$PHASE] a SCRAM user without ACLs is refused consuming $topic (${consume:-no answer})" test "$consume" = TOPIC_AUTHORIZATION_FAILED
}

kafka_isr_checks() {
  local table bad
  table="$(kafka_admin describe /etc/kafka/config/topics)" || {
    check "[$PHASE] Kafka's partition table could be read" false
    return
  }
  printf '%s\n' "$table" >"$PHASE_OUT/kafka-partitions.txt"
  # topic partition leader replicas isr min.insync: every partition on 3 replicas, all in sync, min.insync.replicas 2
  bad="$(awk '{ n = split($4, r, ","); m = split($5, i, ","); if (n != 3 || m != 3 || $6 != 2 || $3 == "none") print }' <<<"$table")"
  record KAFKA_PARTITIONS "$(grep -c . <<<"$table")"
  check "[$PHASE] every Kafka partition ($(grep -c . <<<"$table")) has 3 replicas, all 3 in sync, min.insync.replicas 2${bad:+ — not: $(head -3 <<<"$bad" | tr '\n' ';')}" test -z "$bad"
}

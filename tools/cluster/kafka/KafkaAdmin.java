// What Strimzi's entity operator does for the local profile's Kafka StatefulSet, plus the checks
// test:k8s makes. Compiled into the local Kafka image (tools/cluster/images.sh); run in a Kafka pod
// as the admin (super) user through the replication listener, whose client settings are in
// /tmp/kafka/admin.properties (written by run-kafka.sh; it holds the admin password).
//
//   provision ADMIN_PROPS TOPICS ACLS   topics ("<topic> <partitions> <replicas> <min.insync>" lines)
//                                       created as the Topic Operator would (existing ones kept);
//                                       ACLs ("<principal> <TOPIC|GROUP|CLUSTER> <name> <operation>"
//                                       lines) made to be exactly the file's, as the User Operator
//                                       does from KafkaUser.spec.authorization (others removed)
//   describe ADMIN_PROPS TOPICS         "<topic> <partition> <leader> <replicas> <isr> <min.insync>" lines
//   probe ADMIN_PROPS BOOTSTRAP USER TOPIC
//                                       makes USER a SCRAM-SHA-512 user without any ACL (a random
//                                       password, never printed), produces to and consumes from TOPIC
//                                       as it through the client listener, prints "produce <ERROR>" and
//                                       "consume <ERROR>" (NONE when it was let through), then removes
//                                       the user again
//   quorum ADMIN_PROPS                  "<leader id> <voter ids, comma-separated>" of the KRaft
//                                       metadata quorum (the active controller is the leader)
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class KafkaAdmin {
  public static void main(String[] args) throws Exception {
    Properties admin = new Properties();
    try (var in = Files.newInputStream(Path.of(args[1]))) {
      admin.load(in);
    }
    switch (args[0]) {
      case "provision" -> provision(admin, Path.of(args[2]), Path.of(args[3]));
      case "describe" -> describe(admin, Path.of(args[2]));
      case "probe" -> probe(admin, args[2], args[3], args[4]);
      case "quorum" -> quorum(admin);
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  private static void quorum(Properties props) throws Exception {
    try (Admin admin = Admin.create(props)) {
      var info = admin.describeMetadataQuorum().quorumInfo().get();
      List<String> voters = info.voters().stream().map(v -> String.valueOf(v.replicaId())).sorted().toList();
      System.out.println(info.leaderId() + " " + String.join(",", voters));
    }
  }

  private static List<String[]> lines(Path file, int fields) throws Exception {
    List<String[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) continue;
      String[] f = line.trim().split("\\s+");
      if (f.length != fields) throw new IllegalArgumentException(file + ": expected " + fields + " fields: " + line);
      out.add(f);
    }
    return out;
  }

  private static void provision(Properties props, Path topicsFile, Path aclsFile) throws Exception {
    try (Admin admin = Admin.create(props)) {
      for (String[] t : lines(topicsFile, 4)) {
        NewTopic topic = new NewTopic(t[0], Integer.parseInt(t[1]), Short.parseShort(t[2])).configs(Map.of("min.insync.replicas", t[3]));
        try {
          admin.createTopics(List.of(topic)).all().get();
          System.out.println("created topic " + t[0] + " (" + t[1] + " partitions, " + t[2] + " replicas, min.insync.replicas " + t[3] + ")");
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
      }
      Set<AclBinding> wanted = new HashSet<>();
      for (String[] a : lines(aclsFile, 4)) {
        ResourcePattern pattern = new ResourcePattern(ResourceType.fromString(a[1]), a[2], PatternType.LITERAL);
        wanted.add(new AclBinding(pattern, new AccessControlEntry(a[0], "*", AclOperation.fromString(a[3]), AclPermissionType.ALLOW)));
      }
      Set<AclBinding> existing = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
      List<AclBinding> missing = wanted.stream().filter(b -> !existing.contains(b)).toList();
      List<AclBindingFilter> extra = existing.stream().filter(b -> !wanted.contains(b)).map(AclBinding::toFilter).toList();
      if (!missing.isEmpty()) admin.createAcls(missing).all().get();
      if (!extra.isEmpty()) admin.deleteAcls(extra).all().get();
      System.out.println("ACLs: " + wanted.size() + " declared, " + missing.size() + " created, " + extra.size() + " removed");
    }
  }

  private static void describe(Properties props, Path topicsFile) throws Exception {
    List<String> names = lines(topicsFile, 4).stream().map(t -> t[0]).toList();
    try (Admin admin = Admin.create(props)) {
      Map<String, TopicDescription> topics = new TreeMap<>(admin.describeTopics(names).allTopicNames().get());
      List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
      Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
      for (TopicDescription topic : topics.values()) {
        String minIsr = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name())).get("min.insync.replicas").value();
        for (TopicPartitionInfo p : topic.partitions()) {
          System.out.println(topic.name() + " " + p.partition() + " " + (p.leader() == null ? "none" : p.leader().id()) + " "
              + ids(p.replicas()) + " " + ids(p.isr()) + " " + minIsr);
        }
      }
    }
  }

  private static String ids(List<org.apache.kafka.common.Node> nodes) {
    return String.join(",", nodes.stream().map(n -> String.valueOf(n.id())).toList());
  }

  private static void probe(Properties props, String bootstrap, String user, String topic) throws Exception {
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String password = HexFormat.of().formatHex(secret);
    try (Admin admin = Admin.create(props)) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get();
      try {
        // The credential reaches every broker through the metadata log; give it a moment.
        Thread.sleep(2000);
        Properties client = new Properties();
        client.put("bootstrap.servers", bootstrap);
        client.put("security.protocol", "SASL_PLAINTEXT");
        client.put("sasl.mechanism", "SCRAM-SHA-512");
        client.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";");
        System.out.println("produce " + produce(client, topic));
        System.out.println("consume " + consume(client, topic));
      } finally {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512))).all().get();
      }
    }
  }

  private static String produce(Properties client, String topic) {
    Properties p = new Properties();
    p.putAll(client);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    // Not idempotent: the refusal reported is the topic's own, not the producer id's (cluster ACL).
    p.put("enable.idempotence", "false");
    p.put("acks", "all");
    p.put("max.block.ms", "15000");
    p.put("delivery.timeout.ms", "15000");
    p.put("request.timeout.ms", "10000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>(topic, "acl-probe".getBytes())).get();
      return "NONE";
    } catch (Exception e) {
      return errorOf(e);
    }
  }

  private static String consume(Properties client, String topic) {
    Properties c = new Properties();
    c.putAll(client);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    c.put("enable.auto.commit", "false");
    // No group: the refusal is the topic's (a group would be refused first, GROUP_AUTHORIZATION_FAILED).
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      consumer.seekToBeginning(consumer.assignment());
      long deadline = System.currentTimeMillis() + 15000;
      while (System.currentTimeMillis() < deadline) consumer.poll(Duration.ofSeconds(1));
      return "NONE";
    } catch (Exception e) {
      return errorOf(e);
    }
  }

  private static String errorOf(Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    Errors error = Errors.forException(cause);
    return error == Errors.UNKNOWN_SERVER_ERROR ? "UNEXPECTED " + cause : error.name();
  }
}

// Creates the topics listed in a file ("<name> <partitions>" per line) on the local broker, as
// Strimzi's topic operator does from KafkaTopic resources; existing topics are left as they are.
// Compiled into the local Kafka image (tools/cluster/images.sh); run by run-kafka.sh.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

public final class CreateTopics {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    List<NewTopic> topics = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      String[] f = line.trim().split("\\s+");
      if (f.length != 2) continue;
      topics.add(new NewTopic(f[0], Integer.parseInt(f[1]), (short) 1).configs(Map.of("min.insync.replicas", "1")));
    }
    try (Admin admin = Admin.create(props)) {
      for (NewTopic topic : topics) {
        try {
          admin.createTopics(List.of(topic)).all().get();
          System.out.println("created topic " + topic.name() + " (" + topic.numPartitions() + " partitions)");
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
          System.out.println("topic " + topic.name() + " exists");
        }
      }
    }
  }
}

import { RabbitMQ } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** RabbitMQ (one node, AMQP only); writer and consumer declare the scenarios' quorum queues themselves. */
export class RabbitMQChart extends Chart {
  readonly rabbitmq: RabbitMQ;

  constructor(scope: Construct, id: string, config: DeployConfig) {
    super(scope, id);
    this.rabbitmq = new RabbitMQ(this, 'rabbitmq', {
      namespace: config.namespaces.app,
      authSecretName: config.secrets.rabbitmq,
      storageClass: config.profile.storageClass,
      dataSize: config.profile.rabbitmqStorageSize,
      clusterDomain: config.clusterDomain,
      // A standalone cluster pulls RabbitMQ (built there from Debian's package) from the project's registry.
      ...(config.profile.standalone && {
        image: `${config.registry}/${config.profile.standalone.rabbitmqImage}`,
        imagePullSecret: config.secrets.registry,
        cpuRequest: config.profile.standalone.cpuRequest,
      }),
    });
  }
}

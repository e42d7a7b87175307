// An OPC UA server that is not ours (node-opcua), started by the tests on loopback.
// Usage: node server.js PORT ; prints "ready <endpoint>" when it listens.
const { OPCUAServer } = require("node-opcua-server");
const { Variant, DataType } = require("node-opcua-variant");
const { StatusCodes } = require("node-opcua-status-code");
const { DataValue } = require("node-opcua-data-value");

async function main() {
  const port = parseInt(process.argv[2], 10);
  const server = new OPCUAServer({ port, resourcePath: "/peer", buildInfo: { productName: "node-opcua peer" } });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const station = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: "PeerStation" });
  const start = Date.now();
  ns.addVariable({
    componentOf: station, browseName: "InletPressure", nodeId: "s=PeerInletPressure", dataType: "Double",
    value: { get: () => new Variant({ dataType: DataType.Double, value: 3.2 + 0.1 * Math.sin((Date.now() - start) / 1000) }) },
  });
  ns.addVariable({
    componentOf: station, browseName: "EsdOpen", nodeId: "s=PeerEsdOpen", dataType: "Boolean",
    value: { get: () => new Variant({ dataType: DataType.Boolean, value: true }) },
  });
  ns.addVariable({
    componentOf: station, browseName: "BrokenTransmitter", nodeId: "s=PeerBroken", dataType: "Double",
    value: { timestamped_get: () => new DataValue({ value: new Variant({ dataType: DataType.Double, value: 0 }), statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: new Date() }) },
  });
  await server.start();
  console.log("ready " + server.getEndpointUrl());
  process.on("SIGTERM", async () => { await server.shutdown(100); process.exit(0); });
}
main().catch((err) => { console.error(err); process.exit(1); });

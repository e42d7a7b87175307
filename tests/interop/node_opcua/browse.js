// An OPC UA client that is not ours (node-opcua): browse the simulator and read a variable
// with its EURange and EngineeringUnits. Usage: node browse.js ENDPOINT ; prints JSON.
const { OPCUAClient, AttributeIds, MessageSecurityMode, SecurityPolicy, resolveNodeId } = require("node-opcua-client");

async function main() {
  const endpoint = process.argv[2];
  const client = OPCUAClient.create({ endpointMustExist: false, securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, connectionStrategy: { maxRetry: 2 } });
  await client.connect(endpoint);
  const session = await client.createSession();
  const ns = (await session.readNamespaceArray()).indexOf("urn:gate-station:simulator");
  const station = await session.browse(`ns=${ns};s=GateStation`);
  const folders = station.references.map((r) => r.browseName.name);
  const outlet = await session.browse(`ns=${ns};s=Outlet`);
  const outletTags = outlet.references.map((r) => r.browseName.name);
  const value = await session.read({ nodeId: `ns=${ns};s=PT-301`, attributeId: AttributeIds.Value });
  const hasProperty = resolveNodeId("HasProperty");
  const props = await session.translateBrowsePath(["EURange", "EngineeringUnits"].map((name) => ({
    startingNode: `ns=${ns};s=PT-301`,
    relativePath: { elements: [{ referenceTypeId: hasProperty, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name } }] },
  })));
  const [range, units] = await session.read(props.map((p) => ({ nodeId: p.targets[0].targetId, attributeId: AttributeIds.Value })));
  console.log(JSON.stringify({
    namespace: ns, folders, outletTags,
    value: value.value.value, status: value.statusCode.name,
    euRange: { low: range.value.value.low, high: range.value.value.high },
    unit: units.value.value.displayName.text, unitId: units.value.value.unitId,
  }));
  await session.close();
  await client.disconnect();
}
main().catch((err) => { console.error(err); process.exit(1); });

// The one type of the lower modules that FlexTCP's public API uses as is: an application needs
// only `import FlexTCP`. Everything else the API mentions (ports, configuration, errors) is a
// FlexTCP type.
@_exported import struct FlexWire.IPv4Address

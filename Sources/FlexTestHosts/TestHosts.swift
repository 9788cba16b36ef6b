public enum FlexTestHostsPlaceholder {}

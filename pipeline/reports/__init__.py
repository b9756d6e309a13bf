"""Reports an inspector reads: 四性检测 (DA/T 70-2018), yearly statistics, catalogues."""

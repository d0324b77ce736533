"""The network device between the internal and the main network.

Every connection from an internal client to a main-network service crosses this proxy,
as every connection crossed the NAT/routing devices in the 2021 us-east-1 event.
"""
